#include "services/visits/safeguarding_rules.h"

namespace shouhu::visits {

bool ConcernHolds(v1::ConcernState state) {
  return state == v1::CONCERN_STATE_OPEN || state == v1::CONCERN_STATE_UPHELD;
}

absl::StatusOr<v1::ConcernState> Review(const v1::SafeguardingConcern& current, v1::ConcernDecision decision,
                                        const std::string& reviewer) {
  if (current.state() != v1::CONCERN_STATE_OPEN) {
    return absl::FailedPreconditionError("the concern has already been decided");
  }
  if (!reviewer.empty() && reviewer == current.participant_id()) {
    return absl::FailedPreconditionError("a concern cannot be reviewed by the person it is about");
  }
  switch (decision) {
    case v1::CONCERN_DECISION_UPHOLD:
      return v1::CONCERN_STATE_UPHELD;
    case v1::CONCERN_DECISION_CLOSE_UNFOUNDED:
      return v1::CONCERN_STATE_CLOSED_UNFOUNDED;
    default:
      return absl::InvalidArgumentError("decision: required");
  }
}

TrainingPending AfterReview(v1::ConcernState reviewed) {
  return reviewed == v1::CONCERN_STATE_CLOSED_UNFOUNDED ? TrainingPending::kReinstate
                                                        : TrainingPending::kNothing;
}

}  // namespace shouhu::visits
