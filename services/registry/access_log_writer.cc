#include "services/registry/access_log_writer.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace shouhu::registry {
namespace {

// A batch up to this size is one multi-row INSERT, which commits on its own; larger ones are split into
// such statements inside one transaction.
constexpr size_t kMaxRowsPerStatement = 256;
constexpr absl::string_view kInsertHead =
    "INSERT INTO pii_access_log (id, at, subject, organisation_id, record_type, record_id, village_code, "
    "fields, "
    "purpose, method, consent_id) VALUES ";
constexpr absl::string_view kRowPlaceholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

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
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("shutting down");
  std::shared_ptr<Batch> batch = open_;
  for (auto& r : records) batch->records.push_back(std::move(r));
  mu_.Await(absl::Condition(&batch->done));
  return batch->result;
}

void AccessLogWriter::RecordThen(std::vector<AccessRecord> records, Committed committed) {
  if (records.empty()) return committed(absl::OkStatus());
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      for (auto& r : records) open_->records.push_back(std::move(r));
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
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !open_->records.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (open_->records.empty()) return;  // stopping with nothing left to write
      batch = std::move(open_);
      open_ = std::make_shared<Batch>();
    }
    absl::Status result = Write(batch->records);
    {
      absl::MutexLock lock(&mu_);
      batch->result = result;
      batch->done = true;
      if (result.ok()) {
        ++commits_;
        rows_ += static_cast<int64_t>(batch->records.size());
      }
    }
    for (const Committed& committed : batch->then) committed(result);
  }
}

absl::Status AccessLogWriter::Insert(db::Session& session, const std::vector<AccessRecord>& records,
                                     size_t from, size_t count, const std::string& at) {
  std::string& sql = insert_sql_[count];
  if (sql.empty()) {
    sql = std::string(kInsertHead);
    for (size_t i = 0; i < count; ++i) absl::StrAppend(&sql, i == 0 ? "" : ", ", kRowPlaceholders);
  }
  std::vector<db::Value> params;
  params.reserve(count * 11);
  for (size_t i = from; i < from + count; ++i) {
    const AccessRecord& r = records[i];
    params.insert(params.end(), {ids_.Next(), at, r.subject, r.organisation_id, r.record_type, r.record_id,
                                 r.village_code, r.fields, r.purpose, r.method,
                                 r.consent_id.empty() ? db::Value(db::Null{}) : db::Value(r.consent_id)});
  }
  return session.Execute(sql, params).status();
}

absl::Status AccessLogWriter::Write(const std::vector<AccessRecord>& records) {
  if (!connection_) {
    auto lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    connection_.emplace(*std::move(lease));
  }
  db::Session& session = **connection_;
  const std::string at = ToSqlTimestamp(clock_.Now());
  absl::Status status;
  if (records.size() <= kMaxRowsPerStatement) {
    status = Insert(session, records, 0, records.size(), at);
  } else {
    status = session.ExecuteConstant("START TRANSACTION");
    for (size_t from = 0; status.ok() && from < records.size(); from += kMaxRowsPerStatement) {
      status = Insert(session, records, from, std::min(kMaxRowsPerStatement, records.size() - from), at);
    }
    if (status.ok()) {
      status = session.ExecuteConstant("COMMIT");
    } else {
      (void)session.ExecuteConstant("ROLLBACK");
    }
  }
  // A broken connection goes back to the pool (which discards it); the next batch takes a fresh one.
  if (status.code() == absl::StatusCode::kUnavailable) connection_.reset();
  return status;
}

}  // namespace shouhu::registry
