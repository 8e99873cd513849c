// The registry's SQL for county rosters (roster_service.proto): a chunk of roster rows registered in one
// transaction, and the county's children as drift compares them. Beside RegistryStore, on the same tables,
// sealing resident ids with the same keys and appending to the same outbox.
#ifndef SHOUHU_SERVICES_REGISTRY_ROSTER_STORE_H_
#define SHOUHU_SERVICES_REGISTRY_ROSTER_STORE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/outbox.h"
#include "common/pii_crypto.h"
#include "services/registry/roster_rows.h"
#include "services/registry/statistics_counts.h"
#include "shouhu/registry/v1/resources.pb.h"
#include "shouhu/registry/v1/roster_service.pb.h"

namespace shouhu::registry {

// A validated roster row: the referral-shaped particulars ValidateRosterRow returned.
struct RosterEntry {
  int64_t row_number = 0;
  v1::Referral child;
};

class RosterStore {
 public:
  virtual ~RosterStore() = default;

  // One chunk in one IdempotentTransaction: each entry's child is registered with an active case owned by
  // the actor's organisation (history and a CaseOpenedFromRoster event in the same transaction), or matched
  // when its resident id is registered already (nothing written). The answer counts this chunk and carries
  // `rejections` (the rows the edge refused); it holds no personal data, and a re-sent chunk gets it back.
  virtual absl::StatusOr<v1::ImportRosterResponse> ImportChunk(
      const IdempotencyKey& key, const Actor& actor, const std::string& import_id,
      const std::vector<RosterEntry>& entries, const std::vector<v1::RowRejection>& rejections) = 0;

  // The keyed lookup hash of a (normalised) resident id: how drift recognises a child without opening any.
  virtual std::string ResidentIdHash(const std::string& resident_id) const = 0;

  // Every child registered in the county, with their resident id hash, categories and guardian statuses.
  virtual absl::StatusOr<std::vector<RosterChild>> CountyChildren(const std::string& county_code) = 0;
};

class MariaDbRosterStore final : public RosterStore {
 public:
  // `outbox` is the registry store's, so roster events join the one sequence StreamEvents serves.
  // The registry's own keys and outbox (MariaDbRegistryStore's), as the cooperation store shares them.
  MariaDbRosterStore(db::Pool& pool, IdGenerator& ids, const PiiCrypto& crypto, Outbox& outbox)
      : pool_(pool), ids_(ids), crypto_(crypto), outbox_(outbox) {}

  absl::StatusOr<v1::ImportRosterResponse> ImportChunk(
      const IdempotencyKey& key, const Actor& actor, const std::string& import_id,
      const std::vector<RosterEntry>& entries, const std::vector<v1::RowRejection>& rejections) override;
  std::string ResidentIdHash(const std::string& resident_id) const override {
    return crypto_.LookupHash(resident_id);
  }
  absl::StatusOr<std::vector<RosterChild>> CountyChildren(const std::string& county_code) override;

 private:
  // Registers a block of a chunk's children with their cases in a few multi-row statements; those whose
  // resident id is in `seen` or registered already are matched. Adds the block's ids to `seen` and what it
  // registered to `counts`; returns how many it registered.
  absl::StatusOr<int64_t> RegisterBlock(db::Session& tx, const Actor& actor, const std::string& import_id,
                                        const std::vector<const v1::Referral*>& block,
                                        absl::flat_hash_set<std::string>& seen, CountChanges& counts);
  // Registers one entry's child and case; false when the resident id was registered already (the fallback
  // when a block meets a concurrent registration).
  absl::StatusOr<bool> RegisterChild(db::Session& tx, const Actor& actor, const std::string& import_id,
                                     const v1::Referral& child, CountChanges& counts);

  db::Pool& pool_;
  IdGenerator& ids_;
  const PiiCrypto& crypto_;
  Outbox& outbox_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ROSTER_STORE_H_
