#include "services/registry/access_log_writer.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace shouhu::registry {
namespace {

// Multi-row INSERTs in a few fixed sizes, so each connection prepares at most three statements.
constexpr int kChunks[] = {64, 8, 1};
constexpr absl::string_view kInsertHead =
    "INSERT INTO pii_access_log (id, at, subject, organisation_id, record_type, record_id, village_code, "
    "fields, purpose, method) "
    "VALUES ";
constexpr absl::string_view kRowPlaceholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

}  // namespace

AccessLogWriter::AccessLogWriter(db::Pool& pool, const Clock& clock, IdGenerator& ids)
    : pool_(pool), clock_(clock), ids_(ids), open_(std::make_shared<Batch>()) {
  for (int chunk : kChunks) {
    std::string sql(kInsertHead);
    for (int i = 0; i < chunk; ++i) absl::StrAppend(&sql, i == 0 ? "" : ", ", kRowPlaceholders);
    insert_sql_.push_back(std::move(sql));
  }
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
    absl::MutexLock lock(&mu_);
    batch->result = result;
    batch->done = true;
    if (result.ok()) {
      ++commits_;
      rows_ += static_cast<int64_t>(batch->records.size());
    }
  }
}

absl::Status AccessLogWriter::Write(const std::vector<AccessRecord>& records) {
  const std::string at = ToSqlTimestamp(clock_.Now());
  return pool_.Transaction([&](db::Session& tx) -> absl::Status {
    size_t next = 0;
    for (size_t c = 0; c < std::size(kChunks); ++c) {
      const size_t chunk = static_cast<size_t>(kChunks[c]);
      while (records.size() - next >= chunk) {
        std::vector<db::Value> params;
        params.reserve(chunk * 10);
        for (size_t i = next; i < next + chunk; ++i) {
          const AccessRecord& r = records[i];
          params.insert(params.end(), {ids_.Next(), at, r.subject, r.organisation_id, r.record_type,
                                       r.record_id, r.village_code, r.fields, r.purpose, r.method});
        }
        RETURN_IF_ERROR(tx.Execute(insert_sql_[c], params).status());
        next += chunk;
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace shouhu::registry
