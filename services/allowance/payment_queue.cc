#include "services/allowance/payment_queue.h"

#include <algorithm>

namespace shouhu::allowance {

PaymentQueue::PaymentQueue(AllowanceStore& store, size_t max_batch)
    : store_(store), max_batch_(std::max<size_t>(max_batch, 1)), committer_([this] { Run(); }) {}

PaymentQueue::~PaymentQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  committer_.join();
}

absl::StatusOr<v1::Payment> PaymentQueue::Pay(PaymentOrder order) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("shutting down");
  if (waiting_.empty() || waiting_.back()->orders.size() >= max_batch_) {
    waiting_.push_back(std::make_shared<Batch>());
  }
  std::shared_ptr<Batch> batch = waiting_.back();
  const size_t index = batch->orders.size();
  batch->orders.push_back(std::move(order));
  mu_.Await(absl::Condition(&batch->done));
  return std::move(batch->answers[index]);
}

std::pair<int64_t, int64_t> PaymentQueue::BatchesAndOrders() {
  absl::MutexLock lock(&mu_);
  return {batches_, orders_};
}

void PaymentQueue::Run() {
  while (true) {
    std::shared_ptr<Batch> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !waiting_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (waiting_.empty()) return;  // stopping with nothing left to pay
      batch = std::move(waiting_.front());
      waiting_.erase(waiting_.begin());
    }
    // Outside the lock: callers keep queueing the next batch while this one is written and committed.
    std::vector<absl::StatusOr<v1::Payment>> answers = store_.PayApplications(batch->orders);
    absl::MutexLock lock(&mu_);
    batch->answers = std::move(answers);
    batch->done = true;
    ++batches_;
    orders_ += static_cast<int64_t>(batch->orders.size());
  }
}

}  // namespace shouhu::allowance
