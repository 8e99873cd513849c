#include "services/registry/access_log_writer.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"

namespace shouhu::registry {
namespace {

// A batch's rows go in one INSERT per table (up to kMaxLogRowsPerInsert), its list padded to a few sizes
// (PaddedLogRows) by repeating its last row, which the table's key then drops: a repeated row is the same key
// with the same values, and ON DUPLICATE KEY UPDATE leaves it as it is (ids are fresh from IdGenerator and a
// read's records are distinct, so only the padding repeats a key). Split into power-of-two chunks instead
// (db::InsertRows), a batch of 19 GetChild reads was three INSERTs per table and a batch of five search pages
// (250 records) six for its records alone: about eight statements, each a round trip and a wake-up in both
// processes, where a padded batch is four (START, reads, records, COMMIT). The padding (at most 7 rows a
// table) costs a key lookup each on the page the statement has just written. The writer's one connection
// keeps the texts: 39 per table.
constexpr absl::string_view kInsertReads =
    "INSERT INTO pii_access_reads (id, at, subject, organisation_id, record_type, fields, purpose, method, "
    "scope, records) VALUES ";
constexpr absl::string_view kReadPlaceholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kReadsRepeated = " ON DUPLICATE KEY UPDATE id = id";
constexpr size_t kParamsPerRead = 10;
constexpr absl::string_view kInsertRecords = "INSERT INTO pii_access_records (record_id, log_id) VALUES ";
constexpr absl::string_view kRecordPlaceholders = "(?, ?)";
constexpr absl::string_view kRecordsRepeated = " ON DUPLICATE KEY UPDATE log_id = log_id";
constexpr size_t kParamsPerRecord = 2;

// Inserts `params` (whole rows of `width` values) in padded statements of at most kMaxLogRowsPerInsert rows.
absl::Status InsertPadded(db::Session& session, absl::string_view head, absl::string_view tuple,
                          absl::string_view repeated, size_t width, const std::vector<db::Value>& params) {
  const size_t rows = params.size() / width;
  std::vector<db::Value> chunk;
  std::string sql;
  for (size_t from = 0; from < rows; from += kMaxLogRowsPerInsert) {
    const size_t n = std::min(kMaxLogRowsPerInsert, rows - from);
    const size_t padded = PaddedLogRows(n);
    chunk.assign(params.begin() + static_cast<std::ptrdiff_t>(from * width),
                 params.begin() + static_cast<std::ptrdiff_t>((from + n) * width));
    chunk.reserve(padded * width);  // the repeats below copy from the chunk itself
    for (size_t i = n; i < padded; ++i) {
      for (size_t v = 0; v < width; ++v) chunk.push_back(chunk[(n - 1) * width + v]);
    }
    sql.assign(head.data(), head.size());
    for (size_t i = 0; i < padded; ++i) absl::StrAppend(&sql, i == 0 ? "" : ", ", tuple);
    absl::StrAppend(&sql, repeated);
    RETURN_IF_ERROR(session.Execute(sql, chunk).status());
  }
  return absl::OkStatus();
}

// A batch of reads is at most this many callers' (a page of a search is one caller's 50 records), and
// GroupCommit refuses a caller once eight batches wait.
constexpr size_t kMaxCallersPerBatch = 256;

}  // namespace

AccessLogWriter::AccessLogWriter(db::Pool& pool, const Clock& clock, IdGenerator& ids)
    : pool_(pool),
      clock_(clock),
      ids_(ids),
      queue_(
          [this](const std::vector<Reads>& batch, const std::function<void()>&) { return WriteBatch(batch); },
          kMaxCallersPerBatch) {}

absl::Status AccessLogWriter::Record(std::vector<AccessRecord> records) {
  absl::Notification logged;
  absl::Status result;
  RecordThen(std::move(records), [&](absl::Status status) {
    result = std::move(status);
    logged.Notify();
  });
  logged.WaitForNotification();
  return result;
}

void AccessLogWriter::RecordThen(std::vector<AccessRecord> records, Committed committed) {
  if (records.empty()) return committed(absl::OkStatus());
  Submit(GroupIntoReads(std::move(records)), std::move(committed));
}

void AccessLogWriter::RecordThen(AccessRead read, Committed committed) {
  if (read.records.empty()) return committed(absl::OkStatus());
  Reads reads;
  reads.push_back(std::move(read));
  Submit(std::move(reads), std::move(committed));
}

void AccessLogWriter::Submit(Reads reads, Committed committed) {
  queue_.Submit(std::move(reads), [committed = std::move(committed)](absl::StatusOr<Logged> logged) {
    committed(logged.status());
  });
}

std::pair<int64_t, int64_t> AccessLogWriter::CommitsAndRows() {
  absl::MutexLock lock(&mu_);
  return {commits_, rows_};
}

std::vector<absl::StatusOr<AccessLogWriter::Logged>> AccessLogWriter::WriteBatch(
    const std::vector<Reads>& batch) {
  absl::Status result;
  if (!connection_) {
    absl::StatusOr<db::Lease> lease = pool_.Acquire();
    if (lease.ok()) {
      connection_.emplace(*std::move(lease));
    } else {
      result = lease.status();
    }
  }
  if (connection_) result = Write(**connection_, batch);
  // A broken connection goes back to the pool (which discards it); the next batch takes a fresh one.
  if (result.code() == absl::StatusCode::kUnavailable) connection_.reset();
  if (!result.ok()) return std::vector<absl::StatusOr<Logged>>(batch.size(), result);
  int64_t records = 0;
  for (const Reads& reads : batch) {
    for (const AccessRead& read : reads) records += static_cast<int64_t>(read.records.size());
  }
  absl::MutexLock lock(&mu_);
  ++commits_;
  rows_ += records;
  return std::vector<absl::StatusOr<Logged>>(batch.size(), Logged{});
}

absl::Status AccessLogWriter::Write(db::Session& session, const std::vector<Reads>& batch) {
  const std::string at = ToSqlTimestamp(clock_.Now());
  std::vector<db::Value> read_params;
  std::vector<db::Value> record_params;
  read_params.reserve(batch.size() * kParamsPerRead);
  for (const Reads& reads : batch) {
    for (const AccessRead& read : reads) {
      // Entry ids in the order of the records; the first is the read's id, so every entry of a read sorts
      // after the read's id and before the next read's. (Given here, not by the caller: ids must commit in
      // their order.)
      std::vector<std::string> entry_ids;
      entry_ids.reserve(read.records.size());
      for (size_t i = 0; i < read.records.size(); ++i) entry_ids.push_back(ids_.Next());
      const std::string& log_id = entry_ids.front();
      read_params.insert(
          read_params.end(),
          {log_id, at, read.subject, read.organisation_id, read.record_type, read.fields, read.purpose,
           read.method, CommonVillagePrefix(read.records), EncodeAccessedRecords(read.records, entry_ids)});
      // A record shown twice in one read is one row of "who read this record" (its key is (record, read)).
      std::set<absl::string_view> seen;
      for (const AccessedRecord& r : read.records) {
        if (seen.insert(r.record_id).second) record_params.insert(record_params.end(), {r.record_id, log_id});
      }
    }
  }
  absl::Status status = session.ExecuteConstant("START TRANSACTION");
  if (status.ok())
    status =
        InsertPadded(session, kInsertReads, kReadPlaceholders, kReadsRepeated, kParamsPerRead, read_params);
  if (status.ok()) {
    status = InsertPadded(session, kInsertRecords, kRecordPlaceholders, kRecordsRepeated, kParamsPerRecord,
                          record_params);
  }
  if (status.ok()) {
    status = session.ExecuteConstant("COMMIT");
  } else {
    (void)session.ExecuteConstant("ROLLBACK");
  }
  return status;
}

}  // namespace shouhu::registry
