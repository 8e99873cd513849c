#include "services/gateway/audit_writer.h"

#include <algorithm>

namespace shouhu::gateway {
namespace {
constexpr size_t kBatch = 500;
constexpr char kDropped[] = "shouhu_gateway_audit_dropped_total";
constexpr char kFolded[] = "shouhu_gateway_audit_folded_total";
}  // namespace

AuditWriter::AuditWriter(GatewayStore& store, Logger& logger, Metrics& metrics, AuditWriterOptions options)
    : store_(store), logger_(logger), metrics_(metrics), options_(options), refused_(options.refused) {
  metrics_.Add(kDropped, "", 0);  // exported from the start, so an alert on its increase sees the first drop
  metrics_.Add(kFolded, "", 0);
  thread_ = std::thread([this] { Run(); });
}

AuditWriter::~AuditWriter() { Stop(); }

void AuditWriter::Record(AuditRecord record) {
  absl::MutexLock lock(&mu_);
  if (stopped_) {
    ++recorded_;
    DropLocked(1, "audit row recorded after the writer stopped", absl::OkStatus());
    return;
  }
  std::optional<AuditRecord> row = refused_.Take(std::move(record));
  if (!row) {
    metrics_.Add(kFolded, "", 1);
    return;  // in its caller's folded row, queued when the window ends
  }
  QueueLocked(*std::move(row));
}

void AuditWriter::QueueFoldedLocked(std::vector<AuditRecord> rows) {
  for (AuditRecord& row : rows) QueueLocked(std::move(row));
}

void AuditWriter::QueueLocked(AuditRecord record) {
  ++recorded_;
  if (queue_.size() >= options_.max_queued) {
    queue_.pop_front();
    ++settled_;
    metrics_.Add(kDropped, "", 1);
    // Every call drops one row while the queue is full: one line per ten seconds, not one per call.
    ++overflow_unlogged_;
    const absl::Time now = absl::Now();
    if (now - overflow_logged_at_ >= absl::Seconds(10)) {
      logger_.Error("audit queue full: the oldest rows are dropped", {{"rows", overflow_unlogged_}});
      overflow_unlogged_ = 0;
      overflow_logged_at_ = now;
    }
  }
  queue_.push_back(std::move(record));
}

void AuditWriter::DropLocked(size_t rows, absl::string_view why, const absl::Status& error) {
  settled_ += rows;
  metrics_.Add(kDropped, "", static_cast<double>(rows));
  nlohmann::json fields = {{"rows", rows}};
  if (!error.ok()) fields["error"] = std::string(error.message());
  logger_.Error(why, fields);
}

void AuditWriter::Flush() {
  absl::MutexLock lock(&mu_);
  if (!stopped_) QueueFoldedLocked(refused_.Folded());
  const uint64_t target = recorded_;
  const uint64_t failures = failures_;
  ++flush_waiters_;
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return settled_ >= target || failures_ > failures || stopped_;
  };
  mu_.Await(absl::Condition(&done));
  --flush_waiters_;
}

void AuditWriter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = absl::Now() + options_.stop_bound;
    }
  }
  if (thread_.joinable()) thread_.join();
}

void AuditWriter::Run() {
  std::vector<AuditRecord> batch;  // taken from the queue, written or dropped before the next is taken
  int attempts = 0;
  absl::Duration backoff = options_.first_backoff;
  auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || queue_.size() >= kBatch || (flush_waiters_ > 0 && !queue_.empty());
  };
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (batch.empty()) {
        mu_.AwaitWithTimeout(absl::Condition(&has_work), options_.flush_interval);
        QueueFoldedLocked(stopping_ ? refused_.Folded() : refused_.Ended(absl::Now()));
        const size_t take = std::min(queue_.size(), kBatch);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + take));
        queue_.erase(queue_.begin(), queue_.begin() + take);
        attempts = 0;
        backoff = options_.first_backoff;
      }
      if (stopping_ && (batch.empty() || absl::Now() >= stop_deadline_)) {
        const size_t left = batch.size() + queue_.size();
        if (left > 0) DropLocked(left, "audit rows not written before the gateway stopped", absl::OkStatus());
        queue_.clear();
        stopped_ = true;
        return;
      }
      if (batch.empty()) continue;
    }

    const absl::Status written = store_.InsertAudit(batch);

    absl::Duration wait;
    {
      absl::MutexLock lock(&mu_);
      if (written.ok()) {
        settled_ += batch.size();
        batch.clear();
        continue;
      }
      ++failures_;
      ++attempts;
      if (written.code() != absl::StatusCode::kUnavailable && attempts >= options_.max_attempts) {
        DropLocked(batch.size(), "audit rows could not be written and are dropped", written);
        batch.clear();
        continue;
      }
      logger_.Warn(
          "audit rows not written yet; retrying",
          {{"rows", batch.size()}, {"attempt", attempts}, {"error", std::string(written.message())}});
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
      if (!stopping_) {
        // A Stop ends the wait: from then on the remaining time is the stop bound's.
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
        continue;
      }
      wait = std::min(wait, std::max(absl::ZeroDuration(), stop_deadline_ - absl::Now()));
    }
    absl::SleepFor(wait);
  }
}

}  // namespace shouhu::gateway
