#include "common/pii_rekey.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/server.h"
#include "common/status_macros.h"

namespace shouhu {
namespace {

// The statements of one column. Table and column names come from the service's code (SealedColumn), never
// from input; every value travels as a parameter.
struct ColumnStatements {
  std::string chunk;
  std::string update;
};

ColumnStatements StatementsFor(const SealedColumn& column) {
  ColumnStatements statements;
  statements.chunk = absl::StrCat("SELECT id, ", column.sealed, " FROM ", column.table, " WHERE id > ? AND ",
                                  column.sealed, " IS NOT NULL ORDER BY id LIMIT ? FOR UPDATE");
  statements.update = column.lookup_hash.empty()
                          ? absl::StrCat("UPDATE ", column.table, " SET ", column.sealed, " = ? WHERE id = ?")
                          : absl::StrCat("UPDATE ", column.table, " SET ", column.sealed, " = ?, ",
                                         column.lookup_hash, " = ? WHERE id = ?");
  return statements;
}

absl::Status RekeyColumn(db::Pool& pool, const SealedColumn& column, const PiiCrypto& from,
                         const PiiCrypto& to, int chunk_rows, RekeySummary& summary) {
  const ColumnStatements sql = StatementsFor(column);
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
      ASSIGN_OR_RETURN(db::Rows found, session.Query(sql.chunk, {after, int64_t{chunk_rows}}));
      for (const db::Row& row : found) {
        const std::string& id = row.String(0);
        ++rows;
        last = id;
        if (to.Open(row.String(1), id).ok()) {
          ++chunk.already_current;
          continue;
        }
        absl::StatusOr<std::string> value = from.Open(row.String(1), id);
        if (!value.ok()) {
          return absl::DataLossError(absl::StrCat(column.table, ".", column.sealed, " row ", id,
                                                  ": the sealed value opens under neither key"));
        }
        std::vector<db::Value> params = {to.Seal(*value, id)};
        if (!column.lookup_hash.empty()) {
          params.emplace_back(to.LookupHash(column.hashed_part ? column.hashed_part(*value) : *value));
        }
        params.emplace_back(id);
        RETURN_IF_ERROR(session.Execute(sql.update, params).status());
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

absl::StatusOr<RekeySummary> RekeySealedColumns(db::Pool& pool, const std::vector<SealedColumn>& columns,
                                                const PiiCrypto& from, const PiiCrypto& to, int chunk_rows) {
  RekeySummary summary;
  for (const SealedColumn& column : columns) {
    RETURN_IF_ERROR(RekeyColumn(pool, column, from, to, chunk_rows, summary));
  }
  return summary;
}

int RunRekeyTool(int argc, char** argv, const RekeyTool& tool) {
  const std::string usage = absl::StrCat("shouhu-", tool.service.name,
                                         "-rekey: re-encrypt sealed personal data under new PII keys");
  InitProcess(argc, argv, usage.c_str());
  Logger logger(absl::StrCat(tool.service.name, "-rekey"));
  auto config = LoadServiceConfig(tool.service);
  auto current = config.ok() ? tool.current_keys() : config.status();
  auto new_seal = DecodeHexSecret(EnvOr("SHOUHU_PII_NEW_SEAL_KEY", ""), "SHOUHU_PII_NEW_SEAL_KEY", 32);
  auto new_lookup = DecodeHexSecret(EnvOr("SHOUHU_PII_NEW_LOOKUP_KEY", ""), "SHOUHU_PII_NEW_LOOKUP_KEY", 32);
  for (const absl::Status& status :
       {config.status(), current.status(), new_seal.status(), new_lookup.status()}) {
    if (!status.ok()) {
      logger.Error("bad configuration", {{"error", std::string(status.message())}});
      return 2;
    }
  }
  auto from = PiiCrypto::Create(current->seal, current->lookup);
  auto to = PiiCrypto::Create(*new_seal, *new_lookup);
  if (!from.ok() || !to.ok()) {
    logger.Error("bad configuration", {{"error", std::string((from.ok() ? to : from).status().message())}});
    return 2;
  }
  if (*new_seal == current->seal || *new_lookup == current->lookup) {
    logger.Error("bad configuration", {{"error", "the new PII keys must both differ from those in force"}});
    return 2;
  }
  auto pool = db::Pool::Open(config->db);
  if (!pool.ok()) {
    logger.Error("database", {{"error", std::string(pool.status().message())}});
    return 1;
  }
  auto summary = RekeySealedColumns(**pool, tool.columns, *from, *to);
  if (!summary.ok()) {
    logger.Error("re-encryption stopped", {{"error", std::string(summary.status().message())}});
    return 1;
  }
  logger.Info("sealed personal data is under the new PII keys",
              {{"rekeyed", summary->rekeyed}, {"already_current", summary->already_current}});
  return 0;
}

}  // namespace shouhu
