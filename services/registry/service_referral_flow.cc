#include "services/registry/service_referral_flow.h"

#include "common/timestamps.h"

namespace shouhu::registry {

absl::StatusOr<v1::ServiceReferral> AcceptServiceReferral(const v1::ServiceReferral& current,
                                                          const Actor& actor) {
  if (current.status() != v1::SERVICE_REFERRAL_STATUS_SENT) {
    return absl::FailedPreconditionError("only a referral awaiting an answer can be accepted");
  }
  v1::ServiceReferral next = current;
  next.set_status(v1::SERVICE_REFERRAL_STATUS_ACCEPTED);
  *next.mutable_decided_at() = ToProtoTimestamp(actor.at);
  return next;
}

absl::StatusOr<v1::ServiceReferral> RejectServiceReferral(const v1::ServiceReferral& current,
                                                          const Actor& actor, const std::string& reason) {
  if (current.status() != v1::SERVICE_REFERRAL_STATUS_SENT) {
    return absl::FailedPreconditionError("only a referral awaiting an answer can be rejected");
  }
  v1::ServiceReferral next = current;
  next.set_status(v1::SERVICE_REFERRAL_STATUS_REJECTED);
  next.set_decision_reason(reason);
  *next.mutable_decided_at() = ToProtoTimestamp(actor.at);
  return next;
}

absl::StatusOr<v1::ServiceReferral> RecordServiceOutcome(const v1::ServiceReferral& current,
                                                         const Actor& actor, const std::string& outcome) {
  if (current.status() != v1::SERVICE_REFERRAL_STATUS_ACCEPTED) {
    return absl::FailedPreconditionError("an outcome is recorded only on an accepted referral");
  }
  v1::ServiceReferral next = current;
  next.set_status(v1::SERVICE_REFERRAL_STATUS_COMPLETED);
  next.set_outcome(outcome);
  *next.mutable_completed_at() = ToProtoTimestamp(actor.at);
  return next;
}

}  // namespace shouhu::registry
