// What the safeguarding requests must hold, before anything is read or written: INVALID_ARGUMENT naming the
// field, and never echoing what was written in it (an account of harm to a child is the most sensitive text
// the service holds). Pure; the edge calls these first.
#ifndef SHOUHU_SERVICES_VISITS_SAFEGUARDING_VALIDATION_H_
#define SHOUHU_SERVICES_VISITS_SAFEGUARDING_VALIDATION_H_

#include "absl/status/status.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu::visits {

// The longest account or review note taken down (characters): a page of a child's own words.
inline constexpr size_t kMaxAccountChars = 4000;
inline constexpr size_t kMaxReviewNoteChars = 2000;

absl::Status ValidateRaiseSafeguardingConcern(const v1::RaiseSafeguardingConcernRequest& request);
absl::Status ValidateListSafeguardingConcerns(const v1::ListSafeguardingConcernsRequest& request);
absl::Status ValidateReviewSafeguardingConcern(const v1::ReviewSafeguardingConcernRequest& request);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_SAFEGUARDING_VALIDATION_H_
