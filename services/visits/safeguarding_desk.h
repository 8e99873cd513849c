// Carries what a safeguarding concern owes the training service: the suspension when it is raised, the
// reinstatement when a lead closes it as unfounded. The store marks each owed call in the transaction that
// records the change; the desk makes the call with the visits service's own identity (SYSTEM) and clears the
// mark once training confirmed it. The edge calls SyncConcern right after the change (so the suspension lands
// at once when training is up); the sync job (a PeriodicJob in the module) calls SyncPending for whatever an
// unreachable training left, so no call is ever lost. Each call carries a request id derived from the
// concern, so a repeat is answered as the first and changes nothing.
#ifndef SHOUHU_SERVICES_VISITS_SAFEGUARDING_DESK_H_
#define SHOUHU_SERVICES_VISITS_SAFEGUARDING_DESK_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/call_identity.h"
#include "common/log.h"
#include "services/training/training_client.h"
#include "services/visits/safeguarding_store.h"

namespace shouhu::visits {

class SafeguardingDesk {
 public:
  // All must outlive the desk.
  SafeguardingDesk(SafeguardingStore& store, const training::TrainingClient& training,
                   const ServiceIdentity& identity, Logger& logger)
      : store_(store), training_(training), identity_(identity), logger_(logger) {}

  // Makes the call the concern still owes, if any. OK when nothing was owed or training confirmed it; the
  // call's error otherwise (the mark stays for the sync job).
  absl::Status SyncConcern(const std::string& concern_id) const;
  // Every owed call, suspensions first. Returns how many landed; the first error when some did not.
  absl::StatusOr<int> SyncPending() const;

 private:
  absl::Status Make(const PendingTrainingCall& call) const;

  SafeguardingStore& store_;
  const training::TrainingClient& training_;
  const ServiceIdentity& identity_;
  Logger& logger_;
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_SAFEGUARDING_DESK_H_
