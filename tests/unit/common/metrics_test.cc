// What /metrics prints for counters and gauges: every digit of a value Prometheus must read back.
#include "common/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace shouhu {
namespace {

using ::testing::HasSubstr;

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

}  // namespace
}  // namespace shouhu
