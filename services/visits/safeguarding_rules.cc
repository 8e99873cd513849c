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

TrainingPending AfterReview(v1::ConcernState reviewed, int other_concerns_holding) {
  if (reviewed == v1::CONCERN_STATE_CLOSED_UNFOUNDED && other_concerns_holding == 0) {
    return TrainingPending::kReinstate;
  }
  return TrainingPending::kNothing;
}

}  // namespace shouhu::visits
