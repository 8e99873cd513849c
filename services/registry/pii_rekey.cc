#include "services/registry/pii_rekey.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace shouhu::registry {
namespace {

// The two tables that hold a sealed resident ID, each sealed to its own row's id.
constexpr absl::string_view kReferralChunk =
    "SELECT id, resident_id_sealed FROM referrals WHERE id > ? AND resident_id_sealed IS NOT NULL "
    "ORDER BY id LIMIT ? FOR UPDATE";
constexpr absl::string_view kReferralUpdate =
    "UPDATE referrals SET resident_id_sealed = ?, resident_id_hash = ? WHERE id = ?";
constexpr absl::string_view kChildChunk =
    "SELECT id, resident_id_sealed FROM children WHERE id > ? AND resident_id_sealed IS NOT NULL "
    "ORDER BY id LIMIT ? FOR UPDATE";
constexpr absl::string_view kChildUpdate =
    "UPDATE children SET resident_id_sealed = ?, resident_id_hash = ? WHERE id = ?";

struct SealedTable {
  absl::string_view name;
  absl::string_view chunk;
  absl::string_view update;
};

absl::Status RekeyTable(db::Pool& pool, const SealedTable& table, const PiiCrypto& from, const PiiCrypto& to,
                        int chunk_rows, RekeySummary& summary) {
  std::string after;  // ids are sortable text; "" is before every one
  for (;;) {
    int64_t rows = 0;
    RekeySummary chunk;
    std::string last;
    // A retried transaction (deadlock) starts again from the same row: only the committed chunk advances.
    RETURN_IF_ERROR(pool.Transaction([&](db::Session& session) -> absl::Status {
      rows = 0;
      chunk = RekeySummary();
      last = after;
      ASSIGN_OR_RETURN(db::Rows found, session.Query(table.chunk, {after, int64_t{chunk_rows}}));
      for (const db::Row& row : found) {
        const std::string& id = row.String(0);
        ++rows;
        last = id;
        if (to.Open(row.String(1), id).ok()) {
          ++chunk.already_current;
          continue;
        }
        absl::StatusOr<std::string> resident_id = from.Open(row.String(1), id);
        if (!resident_id.ok()) {
          return absl::DataLossError(
              absl::StrCat(table.name, " row ", id, ": the sealed resident ID opens under neither key"));
        }
        RETURN_IF_ERROR(
            session.Execute(table.update, {to.Seal(*resident_id, id), to.LookupHash(*resident_id), id})
                .status());
        ++chunk.rekeyed;
      }
      return absl::OkStatus();
    }));
    after = last;
    summary.rekeyed += chunk.rekeyed;
    summary.already_current += chunk.already_current;
    if (rows < chunk_rows) return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<RekeySummary> RekeyResidentIds(db::Pool& pool, const PiiCrypto& from, const PiiCrypto& to,
                                              int chunk_rows) {
  RekeySummary summary;
  for (const SealedTable& table : {SealedTable{"referrals", kReferralChunk, kReferralUpdate},
                                   SealedTable{"children", kChildChunk, kChildUpdate}}) {
    RETURN_IF_ERROR(RekeyTable(pool, table, from, to, chunk_rows, summary));
  }
  return summary;
}

}  // namespace shouhu::registry
