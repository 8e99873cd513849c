// What /metrics prints for counters and gauges (every digit of a value Prometheus must read back) and for
// histograms of durations outside the calls (cumulative buckets, one TYPE line a name).
#include "common/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace shouhu {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsRender, LargeValues_KeepEveryDigit_FractionsAndSpecialValuesAsPrometheusReadsThem) {
  Metrics metrics("test");
  metrics.Set("shouhu_checkpoint", "", 12345678);
  metrics.Set("shouhu_until_seconds", "", 1830268800);  // 2028-01-01 00:00 in Shanghai
  metrics.Set("shouhu_negative", "", -3);
  metrics.Add("shouhu_fraction_total", "kind=\"a\"", 0.25);
  metrics.Add("shouhu_fraction_total", "kind=\"a\"", 1e-7);
  metrics.Set("shouhu_nan", "", std::numeric_limits<double>::quiet_NaN());
  metrics.Set("shouhu_inf", "", std::numeric_limits<double>::infinity());
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("shouhu_checkpoint{service=\"test\"} 12345678\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_until_seconds{service=\"test\"} 1830268800\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_negative{service=\"test\"} -3\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_fraction_total{service=\"test\",kind=\"a\"} 0.2500001\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_nan{service=\"test\"} NaN\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_inf{service=\"test\"} +Inf\n"));
}

TEST(MetricsRender, Histograms_CumulativeBuckets_OneTypeLineAName_LabelsAfterTheService) {
  Metrics metrics("test");
  metrics.Observe("shouhu_wait_seconds", "", absl::Microseconds(300));  // in le=0.0005 and every bucket above
  metrics.Observe("shouhu_wait_seconds", "", absl::Milliseconds(60));   // from le=0.1
  metrics.Observe("shouhu_wait_seconds", "", absl::Seconds(9));         // only in +Inf
  metrics.Observe("shouhu_batch_seconds", "kind=\"read\"", absl::Milliseconds(2));
  metrics.Observe("shouhu_batch_seconds", "kind=\"write\"", absl::Milliseconds(2));
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("shouhu_wait_seconds_bucket{service=\"test\",le=\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_wait_seconds_bucket{service=\"test\",le=\"0.05\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_wait_seconds_bucket{service=\"test\",le=\"0.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_wait_seconds_bucket{service=\"test\",le=\"5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_wait_seconds_bucket{service=\"test\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_wait_seconds_sum{service=\"test\"} 9.060300\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_wait_seconds_count{service=\"test\"} 3\n"));
  EXPECT_THAT(text,
              HasSubstr("shouhu_batch_seconds_bucket{service=\"test\",kind=\"read\",le=\"0.0025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("shouhu_batch_seconds_count{service=\"test\",kind=\"write\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE shouhu_wait_seconds histogram\n"));
  const std::string typed = "# TYPE shouhu_batch_seconds histogram\n";
  const size_t first = text.find(typed);
  ASSERT_NE(first, std::string::npos);
  EXPECT_THAT(text.substr(first + typed.size()), Not(HasSubstr(typed)));
}

}  // namespace
}  // namespace shouhu
