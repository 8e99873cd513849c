#include "services/visits/safeguarding_desk.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace shouhu::visits {
namespace {

// Owed calls taken per sync-job pass; more wait for the next pass.
constexpr int kSyncBatch = 200;

}  // namespace

absl::Status SafeguardingDesk::Make(const PendingTrainingCall& call) const {
  const training::v1::SuspensionReason reason = training::v1::SUSPENSION_REASON_SAFEGUARDING_CONCERN;
  absl::Status made;
  if (call.what == TrainingPending::kSuspend) {
    // "hold-", not the previous release's "suspend-": training answered those when it kept one suspension a
    // person and dropped a second concern's; visits migration 0041 sends every standing concern again, and a
    // new request id makes training place its hold rather than replay that answer.
    made = training_
               .SuspendParticipant(identity_.ForSelf(), absl::StrCat("safeguarding-hold-", call.concern_id),
                                   call.participant_id, reason, call.concern_id)
               .status();
  } else if (call.what == TrainingPending::kReinstate) {
    made = training_
               .ReinstateParticipant(identity_.ForSelf(),
                                     absl::StrCat("safeguarding-reinstate-", call.concern_id),
                                     call.participant_id, reason, call.concern_id)
               .status();
    // The concern's hold is gone already (a retry after a lost answer under a new request id, or a hold
    // from before training kept holds, lifted with an earlier concern's): nothing left to lift.
    if (made.code() == absl::StatusCode::kFailedPrecondition) made = absl::OkStatus();
  }
  if (!made.ok()) {
    // The concern id only: never the account, the category or who raised it.
    logger_.Warn("training call for a safeguarding concern failed; will retry",
                 {{"concern_id", call.concern_id},
                  {"call", call.what == TrainingPending::kSuspend ? "suspend" : "reinstate"},
                  {"code", absl::StatusCodeToString(made.code())}});
    return made;
  }
  return store_.MarkTrainingDone(call.concern_id, call.what);
}

absl::Status SafeguardingDesk::SyncConcern(const std::string& concern_id) const {
  ASSIGN_OR_RETURN(std::optional<PendingTrainingCall> call, store_.PendingTrainingCallOf(concern_id));
  if (!call) return absl::OkStatus();
  return Make(*call);
}

absl::StatusOr<int> SafeguardingDesk::SyncPending() const {
  ASSIGN_OR_RETURN(std::vector<PendingTrainingCall> calls, store_.PendingTrainingCalls(kSyncBatch));
  int landed = 0;
  absl::Status first_error;
  for (const PendingTrainingCall& call : calls) {
    absl::Status made = Make(call);
    if (made.ok()) {
      ++landed;
    } else if (first_error.ok()) {
      first_error = made;
    }
  }
  if (!first_error.ok()) return first_error;
  return landed;
}

}  // namespace shouhu::visits
