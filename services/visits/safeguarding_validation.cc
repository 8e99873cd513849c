#include "services/visits/safeguarding_validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/idempotency.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu::visits {
namespace {

// Free text as people say it: line breaks and tabs allowed (ValidateText refuses them), other control
// characters not; something other than spaces.
absl::Status ValidateStatement(absl::string_view text, absl::string_view field, size_t max_chars,
                               bool required) {
  if (text.empty() && !required) return absl::OkStatus();
  if (!IsValidUtf8(text)) return absl::InvalidArgumentError(absl::StrCat(field, ": not valid UTF-8"));
  const size_t length = Utf8Length(text);
  if (length == 0 || length > max_chars || absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must hold 1 to ", max_chars, " characters"));
  }
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": holds a control character"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRaiseSafeguardingConcern(const v1::RaiseSafeguardingConcernRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.visitor_id(), "visitor_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.category(), v1::ConcernCategory_IsValid, "category"));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.reporter(), v1::ConcernReporter_IsValid, "reporter"));
  RETURN_IF_ERROR(ValidateStatement(request.account(), "account", kMaxAccountChars, /*required=*/true));
  RETURN_IF_ERROR(ValidateOptionalIdentifier(request.child_id(), "child_id", 64));
  RETURN_IF_ERROR(ValidateOptionalIdentifier(request.assignment_id(), "assignment_id", 64));
  return absl::OkStatus();
}

absl::Status ValidateListSafeguardingConcerns(const v1::ListSafeguardingConcernsRequest& request) {
  return ValidateEnumFilter(request.state(), v1::ConcernState_IsValid, "state");
}

absl::Status ValidateReviewSafeguardingConcern(const v1::ReviewSafeguardingConcernRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.concern_id(), "concern_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.decision(), v1::ConcernDecision_IsValid, "decision"));
  RETURN_IF_ERROR(ValidateStatement(request.note(), "note", kMaxReviewNoteChars, /*required=*/false));
  return absl::OkStatus();
}

}  // namespace shouhu::visits
