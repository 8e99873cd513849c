#include "services/registry/referral_intake.h"

#include <algorithm>
#include <utility>

namespace shouhu::registry {

ReferralIntake::ReferralIntake(RegistryStore& store, size_t max_batch)
    : ReferralIntake(
          [&store](const std::vector<ReferralOrder>& orders) { return store.SubmitReferrals(orders); },
          max_batch) {}

ReferralIntake::ReferralIntake(WriteBatch write, size_t max_batch)
    : write_(std::move(write)), max_batch_(std::max<size_t>(max_batch, 1)), committer_([this] { Run(); }) {}

ReferralIntake::~ReferralIntake() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  committer_.join();
}

void ReferralIntake::Submit(ReferralOrder order, Answered answered) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      if (waiting_.empty() || waiting_.back()->orders.size() >= max_batch_) {
        waiting_.push_back(std::make_unique<Batch>());
      }
      waiting_.back()->orders.push_back(std::move(order));
      waiting_.back()->answered.push_back(std::move(answered));
      return;
    }
  }
  answered(absl::UnavailableError("shutting down"));
}

std::pair<int64_t, int64_t> ReferralIntake::BatchesAndReferrals() {
  absl::MutexLock lock(&mu_);
  return {batches_, referrals_};
}

void ReferralIntake::Run() {
  while (true) {
    std::unique_ptr<Batch> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !waiting_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (waiting_.empty()) return;  // stopping with nothing left to write
      batch = std::move(waiting_.front());
      waiting_.erase(waiting_.begin());
    }
    // Outside the lock: callers keep queueing the next batch while this one is written and committed.
    std::vector<absl::StatusOr<v1::SubmitReferralResponse>> answers = write_(batch->orders);
    // A writer that answers the wrong number of orders fails them all rather than answering anyone wrongly.
    if (answers.size() != batch->orders.size()) {
      answers.assign(batch->orders.size(), absl::InternalError("the batch was answered incompletely"));
    }
    {
      absl::MutexLock lock(&mu_);
      ++batches_;
      referrals_ += static_cast<int64_t>(batch->orders.size());
    }
    for (size_t i = 0; i < batch->answered.size(); ++i) batch->answered[i](std::move(answers[i]));
  }
}

}  // namespace shouhu::registry
