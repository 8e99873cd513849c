// Matchers for absl::Status / StatusOr that Abseil 20220623 does not ship. Tests assert the exact code.
#ifndef SHOUHU_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define SHOUHU_TESTS_SUPPORT_STATUS_MATCHERS_H_

#include <gmock/gmock.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status_macros.h"

namespace shouhu::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "actual: " << status;
  return status.code() == code;
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "actual: " << status;
  return status.ok();
}

}  // namespace shouhu::testing

#define ASSERT_OK(expr) ASSERT_THAT(expr, ::shouhu::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT(expr, ::shouhu::testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(SHOUHU_CONCAT(test_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  ASSERT_OK(tmp);                                 \
  lhs = std::move(tmp).value()

#endif  // SHOUHU_TESTS_SUPPORT_STATUS_MATCHERS_H_
