#include "common/status_macros.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace shouhu {
namespace {
constexpr absl::string_view kRetryablePayload = "shouhu.dev/retryable";
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(field, ": ", description));
  status.SetPayload(kFieldPayload, absl::Cord(field));
  return status;
}

std::string FieldOf(const absl::Status& status) {
  auto field = status.GetPayload(kFieldPayload);
  return field ? std::string(*field) : std::string();
}

absl::Status StaleVersion(absl::string_view message, int64_t current_version) {
  absl::Status status = absl::AbortedError(message);
  status.SetPayload(kCurrentVersionPayload, absl::Cord(absl::StrCat(current_version)));
  return status;
}

int64_t CurrentVersionOf(const absl::Status& status) {
  auto payload = status.GetPayload(kCurrentVersionPayload);
  int64_t version = -1;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &version)) return -1;
  return version;
}

absl::Status MarkRetryable(absl::Status status) {
  status.SetPayload(kRetryablePayload, absl::Cord("1"));
  return status;
}

bool IsRetryable(const absl::Status& status) { return status.GetPayload(kRetryablePayload).has_value(); }

}  // namespace shouhu
