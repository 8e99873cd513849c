// The pure rules of a safeguarding concern about a visitor: what a lead's review may do to it, and what the
// training service must then be told. No I/O; the store applies them to the locked row.
//
//   OPEN ──uphold──▶ UPHELD            (the person stays suspended)
//   OPEN ──close───▶ CLOSED_UNFOUNDED  (its hold in training lifted; another concern's hold still stands)
// A decided concern is not reviewed again, and nobody reviews a concern about themselves.
#ifndef SHOUHU_SERVICES_VISITS_SAFEGUARDING_RULES_H_
#define SHOUHU_SERVICES_VISITS_SAFEGUARDING_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu::visits {

// What the training service still has to be told about a concern (safeguarding_concerns.training_pending).
enum class TrainingPending { kNothing = 0, kSuspend = 1, kReinstate = 2 };

// True while the concern keeps its person suspended and off visits.
bool ConcernHolds(v1::ConcernState state);

// The state a review moves `current` to. FAILED_PRECONDITION when the concern is already decided, or when
// `reviewer` is the person concerned (their participant id); INVALID_ARGUMENT for an unspecified decision.
absl::StatusOr<v1::ConcernState> Review(const v1::SafeguardingConcern& current, v1::ConcernDecision decision,
                                        const std::string& reviewer);

// After a review to `reviewed`: an unfounded close lifts the concern's own hold in training (each concern
// places one, named by its id: training keeps the person suspended while any other hold stands).
TrainingPending AfterReview(v1::ConcernState reviewed);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_SAFEGUARDING_RULES_H_
