#include "services/registry/access_log_writer.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/batch_statements.h"
#include "common/status_macros.h"

namespace shouhu::registry {
namespace {

constexpr absl::string_view kInsertReads =
    "INSERT INTO pii_access_reads (id, at, subject, organisation_id, record_type, fields, purpose, method, "
    "scope, records) VALUES ";
constexpr absl::string_view kReadPlaceholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr size_t kParamsPerRead = 10;
constexpr absl::string_view kInsertRecords = "INSERT INTO pii_access_records (record_id, log_id) VALUES ";
constexpr absl::string_view kRecordPlaceholders = "(?, ?)";
constexpr size_t kParamsPerRecord = 2;

}  // namespace

AccessLogWriter::AccessLogWriter(db::Pool& pool, const Clock& clock, IdGenerator& ids)
    : pool_(pool), clock_(clock), ids_(ids), open_(std::make_shared<Batch>()) {
  writer_ = std::thread([this] { Run(); });
}

AccessLogWriter::~AccessLogWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
}

absl::Status AccessLogWriter::Record(std::vector<AccessRecord> records) {
  if (records.empty()) return absl::OkStatus();
  std::vector<AccessRead> reads = GroupIntoReads(std::move(records));
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("shutting down");
  std::shared_ptr<Batch> batch = open_;
  for (auto& r : reads) batch->reads.push_back(std::move(r));
  mu_.Await(absl::Condition(&batch->done));
  return batch->result;
}

void AccessLogWriter::RecordThen(std::vector<AccessRecord> records, Committed committed) {
  if (records.empty()) return committed(absl::OkStatus());
  std::vector<AccessRead> reads = GroupIntoReads(std::move(records));
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      for (auto& r : reads) open_->reads.push_back(std::move(r));
      open_->then.push_back(std::move(committed));
      return;
    }
  }
  committed(absl::UnavailableError("shutting down"));
}

void AccessLogWriter::RecordThen(AccessRead read, Committed committed) {
  if (read.records.empty()) return committed(absl::OkStatus());
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      open_->reads.push_back(std::move(read));
      open_->then.push_back(std::move(committed));
      return;
    }
  }
  committed(absl::UnavailableError("shutting down"));
}

std::pair<int64_t, int64_t> AccessLogWriter::CommitsAndRows() {
  absl::MutexLock lock(&mu_);
  return {commits_, rows_};
}

void AccessLogWriter::Run() {
  while (true) {
    std::shared_ptr<Batch> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !open_->reads.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (open_->reads.empty()) return;  // stopping with nothing left to write
      batch = std::move(open_);
      open_ = std::make_shared<Batch>();
    }
    absl::Status result = Write(batch->reads);
    int64_t records = 0;
    for (const AccessRead& read : batch->reads) records += static_cast<int64_t>(read.records.size());
    {
      absl::MutexLock lock(&mu_);
      batch->result = result;
      batch->done = true;
      if (result.ok()) {
        ++commits_;
        rows_ += records;
      }
    }
    for (const Committed& committed : batch->then) committed(result);
  }
}

absl::Status AccessLogWriter::Write(std::vector<AccessRead>& reads) {
  if (!connection_) {
    auto lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    connection_.emplace(*std::move(lease));
  }
  db::Session& session = **connection_;
  const std::string at = ToSqlTimestamp(clock_.Now());
  std::vector<db::Value> read_params;
  std::vector<db::Value> record_params;
  read_params.reserve(reads.size() * kParamsPerRead);
  for (AccessRead& read : reads) {
    // Entry ids in the order of the records; the first is the read's id, so every entry of a read sorts
    // after the read's id and before the next read's.
    for (AccessedRecord& r : read.records) r.entry_id = ids_.Next();
    const std::string& log_id = read.records.front().entry_id;
    read_params.insert(
        read_params.end(),
        {log_id, at, read.subject, read.organisation_id, read.record_type, read.fields, read.purpose,
         read.method, CommonVillagePrefix(read.records), EncodeAccessedRecords(read.records)});
    // A record shown twice in one read is one row of "who read this record" (its key is (record, read)).
    std::set<absl::string_view> seen;
    for (const AccessedRecord& r : read.records) {
      if (seen.insert(r.record_id).second) record_params.insert(record_params.end(), {r.record_id, log_id});
    }
  }
  absl::Status status = session.ExecuteConstant("START TRANSACTION");
  if (status.ok())
    status = db::InsertRows(session, kInsertReads, kReadPlaceholders, kParamsPerRead, read_params).status();
  if (status.ok()) {
    status = db::InsertRows(session, kInsertRecords, kRecordPlaceholders, kParamsPerRecord, record_params)
                 .status();
  }
  if (status.ok()) {
    status = session.ExecuteConstant("COMMIT");
  } else {
    (void)session.ExecuteConstant("ROLLBACK");
  }
  // A broken connection goes back to the pool (which discards it); the next batch takes a fresh one.
  if (status.code() == absl::StatusCode::kUnavailable) connection_.reset();
  return status;
}

}  // namespace shouhu::registry
