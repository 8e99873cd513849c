// The PII access log's shape as pure rules: a read (one GetChild, one page of a search, one list of
// referrals) is one log row naming every record it showed (migration 0044), and an auditor still sees one
// entry per record read. These functions group the records a call hands the log into reads, encode a read's
// records for its row, and expand a row back into entries, with no I/O
// (tests/unit/registry/access_log_entries_test.cc).
#ifndef SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_ENTRIES_H_
#define SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_ENTRIES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shouhu::registry {

// One record read, as callers hand it to the log.
struct AccessRecord {
  std::string subject;
  std::string organisation_id;
  std::string record_type;  // "child", "referral" or "report"
  std::string record_id;
  std::string village_code;
  std::string fields;  // e.g. "name,birth_date,resident_id_masked,household,guardians"
  std::string purpose;
  std::string method;
  // The consent that allowed sharing the child's data beyond the case's organisation; empty when none was
  // needed.
  std::string consent_id;
};

// A record within a read: what differs from one record of a read to the next.
struct AccessedRecord {
  std::string entry_id;  // the auditor's entry for this record (ListAccessLog's entry_id); set by the writer
  std::string record_id;
  std::string village_code;
  std::string consent_id;
};

// One row of the log: who read, as whom, which fields, why, through which method, and the records shown.
struct AccessRead {
  std::string subject;
  std::string organisation_id;
  std::string record_type;
  std::string fields;
  std::string purpose;
  std::string method;
  std::vector<AccessedRecord> records;
};

// The longest purpose a reader may state (pii_access_log.purpose, migration 0002).
inline constexpr size_t kMaxPurposeChars = 255;

// A call's records as reads: consecutive records that agree on everything but the record (id, village,
// consent) are one read, so a page of a search is one read; records that differ start a new one.
std::vector<AccessRead> GroupIntoReads(std::vector<AccessRecord> records);

// The longest prefix every record's village shares: the division all of the read's records lie in, which
// ListAccessLog by division narrows on before it looks at each record.
std::string CommonVillagePrefix(const std::vector<AccessedRecord>& records);

// The week "who read this record" keeps a read under (migration 0050): whole weeks since 1970-01-01 of its
// log id's time, so a read's week never falls before that of a read logged earlier. INVALID_ARGUMENT naming
// `field` for an id IdGenerator did not write.
absl::StatusOr<int64_t> AccessLogWeek(absl::string_view log_id, absl::string_view field = "log_id");

// How many rows the log writer's INSERT of `rows` rows (1 to kMaxLogRowsPerInsert) carries: up to 7 as they
// are, beyond that the next multiple of 8, the last row repeated. A multi-row INSERT is a statement text per
// row count, prepared once on the writer's connection: these sizes keep 39 texts per table where every count
// would be 256, and pad at most 7 rows (power-of-two sizes padded up to 127).
inline constexpr size_t kMaxLogRowsPerInsert = 256;
size_t PaddedLogRows(size_t rows);

// The records column: "entry_id record_id village_code consent_id" per record, ';' between records (ids
// and codes hold neither), with entry_ids[i] as records[i]'s entry id: the log writer gives them as it
// writes a batch, without copying the records it was handed.
std::string EncodeAccessedRecords(const std::vector<AccessedRecord>& records,
                                  const std::vector<std::string>& entry_ids);
// INTERNAL on a column this code did not write.
absl::StatusOr<std::vector<AccessedRecord>> DecodeAccessedRecords(absl::string_view column);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ACCESS_LOG_ENTRIES_H_
