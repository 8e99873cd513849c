// Storage of safeguarding concerns about visitors: a small interface for the edge and the safeguarding desk,
// and its MariaDB implementation (SQL only). Raising a concern takes the person off their future visits in
// the same transaction (assignment_release.h) and marks the suspension the training service still has to
// make; a review marks the reinstatement. The marks are cleared once training confirmed the call, so nothing
// owed to training is lost when it cannot be reached.
#ifndef SHOUHU_SERVICES_VISITS_SAFEGUARDING_STORE_H_
#define SHOUHU_SERVICES_VISITS_SAFEGUARDING_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/paging.h"
#include "common/pii_crypto.h"
#include "services/visits/safeguarding_rules.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu::visits {

struct ConcernFilter {
  std::string division_prefix;  // required
  std::string organisation_id;  // empty: any
  int state = 0;                // 0: any
  PageRequest page;
};

// A call the training service still owes a concern.
struct PendingTrainingCall {
  std::string concern_id;
  std::string participant_id;
  TrainingPending what = TrainingPending::kNothing;
};

// The caller's scope decision on a locked concern: OK, or NOT_FOUND.
using AuthorizeConcern = std::function<absl::Status(const v1::SafeguardingConcern&)>;

class SafeguardingStore {
 public:
  virtual ~SafeguardingStore() = default;

  // `concern`: the visitor's participant, organisation and village filled in by the edge; id, state and
  // timestamps are the store's. Releases the person's assignments from `today` on.
  virtual absl::StatusOr<v1::RaiseSafeguardingConcernResponse> RaiseConcern(
      const IdempotencyKey& key, const Actor& actor, const v1::SafeguardingConcern& concern,
      absl::CivilDay today) = 0;
  virtual absl::StatusOr<std::optional<v1::SafeguardingConcern>> GetConcern(const std::string& id) = 0;
  // By id.
  virtual absl::StatusOr<std::vector<v1::SafeguardingConcern>> ListConcerns(const ConcernFilter& filter) = 0;
  // safeguarding_rules.h's Review on the locked row, after `authorize`; marks the reinstatement owed.
  virtual absl::StatusOr<v1::ReviewSafeguardingConcernResponse> ReviewConcern(
      const IdempotencyKey& key, const Actor& actor, const std::string& concern_id,
      v1::ConcernDecision decision, const std::string& note, const AuthorizeConcern& authorize) = 0;

  // The calls training still owes, oldest first; one concern's.
  virtual absl::StatusOr<std::vector<PendingTrainingCall>> PendingTrainingCalls(int limit) = 0;
  virtual absl::StatusOr<std::optional<PendingTrainingCall>> PendingTrainingCallOf(
      const std::string& concern_id) = 0;
  // Clears the mark when it is still `what` (a review may have replaced it meanwhile).
  virtual absl::Status MarkTrainingDone(const std::string& concern_id, TrainingPending what) = 0;
};

class MariaDbSafeguardingStore final : public SafeguardingStore {
 public:
  // `crypto` seals the account and the review note of each concern; it must outlive the store.
  MariaDbSafeguardingStore(db::Pool& pool, IdGenerator& ids, const PiiCrypto& crypto)
      : pool_(pool), ids_(ids), crypto_(crypto) {}

  absl::StatusOr<v1::RaiseSafeguardingConcernResponse> RaiseConcern(const IdempotencyKey& key,
                                                                    const Actor& actor,
                                                                    const v1::SafeguardingConcern& concern,
                                                                    absl::CivilDay today) override;
  absl::StatusOr<std::optional<v1::SafeguardingConcern>> GetConcern(const std::string& id) override;
  absl::StatusOr<std::vector<v1::SafeguardingConcern>> ListConcerns(const ConcernFilter& filter) override;
  absl::StatusOr<v1::ReviewSafeguardingConcernResponse> ReviewConcern(
      const IdempotencyKey& key, const Actor& actor, const std::string& concern_id,
      v1::ConcernDecision decision, const std::string& note, const AuthorizeConcern& authorize) override;
  absl::StatusOr<std::vector<PendingTrainingCall>> PendingTrainingCalls(int limit) override;
  absl::StatusOr<std::optional<PendingTrainingCall>> PendingTrainingCallOf(
      const std::string& concern_id) override;
  absl::Status MarkTrainingDone(const std::string& concern_id, TrainingPending what) override;

 private:
  absl::StatusOr<std::optional<v1::SafeguardingConcern>> ReadConcern(db::Session& session,
                                                                     const std::string& sql,
                                                                     const std::string& id) const;
  absl::StatusOr<v1::SafeguardingConcern> ConcernFromRow(const db::Row& row) const;

  db::Pool& pool_;
  IdGenerator& ids_;
  const PiiCrypto& crypto_;
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_SAFEGUARDING_STORE_H_
