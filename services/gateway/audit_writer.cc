#include "services/gateway/audit_writer.h"

namespace shouhu::gateway {
namespace {
constexpr size_t kBatch = 500;
}  // namespace

AuditWriter::AuditWriter(GatewayStore& store, Logger& logger, Metrics& metrics, absl::Duration flush_interval,
                         size_t max_queued)
    : store_(store),
      logger_(logger),
      metrics_(metrics),
      flush_interval_(flush_interval),
      max_queued_(max_queued) {
  thread_ = std::thread([this] { Run(); });
}

AuditWriter::~AuditWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  Flush();
}

void AuditWriter::Record(AuditRecord record) {
  absl::MutexLock lock(&mu_);
  ++recorded_;
  if (queue_.size() >= max_queued_) {
    queue_.pop_front();
    ++settled_;
    metrics_.Add("shouhu_gateway_audit_dropped_total", "");
  }
  queue_.push_back(std::move(record));
}

bool AuditWriter::WriteBatch() {
  absl::MutexLock write_lock(&write_mu_);
  std::vector<AuditRecord> batch;
  {
    absl::MutexLock lock(&mu_);
    while (!queue_.empty() && batch.size() < kBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  if (batch.empty()) return true;
  const absl::Status written = store_.InsertAudit(batch);
  absl::MutexLock lock(&mu_);
  if (written.ok()) {
    settled_ += batch.size();
    return true;
  }
  logger_.Warn("audit rows not written yet",
               {{"rows", batch.size()}, {"error", std::string(written.message())}});
  for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
  while (queue_.size() > max_queued_) {
    queue_.pop_front();
    ++settled_;
    metrics_.Add("shouhu_gateway_audit_dropped_total", "");
  }
  return false;
}

void AuditWriter::Flush() {
  uint64_t target;
  {
    absl::MutexLock lock(&mu_);
    target = recorded_;
  }
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (settled_ >= target || queue_.empty()) return;
    }
    if (!WriteBatch()) return;
  }
}

void AuditWriter::Run() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](AuditWriter* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
                                 return self->stopping_ || self->queue_.size() >= kBatch;
                               },
                               this),
                           flush_interval_);
      if (stopping_) return;
    }
    while (WriteBatch()) {
      absl::MutexLock lock(&mu_);
      if (queue_.empty()) break;
    }
  }
}

}  // namespace shouhu::gateway
