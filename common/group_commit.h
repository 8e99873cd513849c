// Group commit: many callers' writes, each with its own answer, committed together. A mutation alone is an
// idempotency claim, a few inserts and a durable commit of its own; at many concurrent callers the database
// spends its time on commits and statement round trips, not on the rows. Callers hand their orders to a
// committer thread; it writes everything that arrived while the previous batch was in flight in one
// transaction (one statement per kind of row for the whole batch, one commit), so under load each commit
// carries many orders and each order keeps every guarantee it has alone: its own idempotency record and
// first answer, durable before it is answered.
//
// Callers are answered off the committers, on a thread of their own: finishing a gRPC call serialises its
// answer and writes it to the socket, a third of the committer's CPU at 64 callers (perf, issue 11), and the
// next batch need not wait for it.
//
// One committer writes one batch at a time, so while its COMMIT waits for the disk, nothing of the next
// batch is done. A writer whose batches may overlap can have several committers, taken in turn: a batch is
// written only once the one before it has been written (the writer calls `committing` when only its COMMIT
// remains), so the next batch is written while the one before it commits and answers, and it carries
// everything that arrived meanwhile. (Committers that each took the next batch as soon as they were free
// halved the batches and cost the payments 20-35% more CPU each for no rate; issue 11.) On the benchmark's
// VM, whose fsync is quick, two taking turns still cost the payments more than one (MariaDB's CPU per payment
// up by a seventh: two writing transactions meet on the same rows and index pages), so the payments keep one
// by default; more pay off where a commit waits long. Such a writer must make two batches that touch the same
// rows meet on row locks, and a retry meet its first attempt (PayApplications locks its applications before
// it reads their idempotency records: a retry names the same application, so it waits for the batch that
// holds it and then finds that batch's record). The registry's intake keeps one committer: it checks each
// batch against every child registered before it, which a batch still committing has not yet made visible.
//
// The queue is here; what a batch writes is the store's (registry's SubmitReferrals, allowance's
// PayApplications), which writes together what it can and runs alone whatever it cannot (idempotent_batch.h).
#ifndef SHOUHU_COMMON_GROUP_COMMIT_H_
#define SHOUHU_COMMON_GROUP_COMMIT_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace shouhu {

template <typename Order, typename Answer>
class GroupCommit {
 public:
  using Answered = std::function<void(absl::StatusOr<Answer>)>;
  // Writes one batch and commits it: answers[i] for orders[i]. The writer calls `committing` once when only
  // the batch's COMMIT remains (or not at all: returning hands the turn on as well).
  using WriteBatch = std::function<std::vector<absl::StatusOr<Answer>>(
      const std::vector<Order>&, const std::function<void()>& committing)>;

  // Starts `committers` committer threads (at least one; `write` is then called from each, one writing and
  // the others committing).
  // At most `max_batch` orders share a transaction, and at most `max_waiting` wait for one: beyond that a
  // caller is refused at once (RESOURCE_EXHAUSTED), so a flood sheds load instead of growing memory and
  // every caller's wait. The default is a few batches of the largest size. At most `max_unanswered` written
  // batches wait for the answering thread: a committer with another waits until there is room, so answers
  // that go out slowly hold the committers back and then fill the queue above, rather than piling up.
  GroupCommit(WriteBatch write, size_t max_batch, size_t max_waiting = 0, size_t committers = 1,
              size_t max_unanswered = 8)
      : write_(std::move(write)),
        max_batch_(std::max<size_t>(max_batch, 1)),
        max_waiting_(max_waiting > 0 ? max_waiting : 8 * max_batch_),
        max_unanswered_(std::max<size_t>(max_unanswered, 1)) {
    answerer_ = std::thread([this] { AnswerWritten(); });
    for (size_t i = 0; i < std::max<size_t>(committers, 1); ++i) committers_.emplace_back([this] { Run(); });
  }
  // Writes and answers what is queued, then stops the committer and answering threads.
  ~GroupCommit() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& committer : committers_) committer.join();
    {
      absl::MutexLock lock(&answer_mu_);
      committers_done_ = true;
    }
    answerer_.join();
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Queues the order without holding the caller: `answered` gets its answer on the answering thread once
  // its batch has committed or failed (so it must be quick and must not block: finishing a gRPC call is), or
  // at once on the caller's thread: UNAVAILABLE when stopping, RESOURCE_EXHAUSTED when the queue is full.
  void Submit(Order order, Answered answered) {
    absl::Status refused;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        refused = absl::UnavailableError("shutting down");
      } else if (waiting_orders_ >= max_waiting_) {
        refused = absl::ResourceExhaustedError("the service is overloaded; retry later");
      } else {
        if (waiting_.empty() || waiting_.back()->orders.size() >= max_batch_) {
          waiting_.push_back(std::make_unique<Batch>());
        }
        waiting_.back()->orders.push_back(std::move(order));
        waiting_.back()->answered.push_back(std::move(answered));
        ++waiting_orders_;
        return;
      }
    }
    answered(std::move(refused));
  }

  // Batches committed so far and the orders they carried: benchmarks and tests read their ratio.
  std::pair<int64_t, int64_t> BatchesAndOrders() {
    absl::MutexLock lock(&mu_);
    return {batches_, orders_};
  }

 private:
  struct Batch {
    std::vector<Order> orders;
    std::vector<Answered> answered;
  };
  // A written batch's callers and their answers, in order; the batch's orders go with them, so that freeing
  // them is off the chain too.
  struct Written {
    std::unique_ptr<Batch> batch;
    std::vector<absl::StatusOr<Answer>> answers;
  };

  void Run() {
    while (true) {
      std::unique_ptr<Batch> batch;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return (!writing_ && !waiting_.empty()) || (stopping_ && waiting_.empty());
        };
        mu_.Await(absl::Condition(&ready));
        if (waiting_.empty()) return;  // stopping with nothing left to write
        batch = std::move(waiting_.front());
        waiting_.erase(waiting_.begin());
        waiting_orders_ -= batch->orders.size();
        writing_ = true;
      }
      // Outside the lock: callers keep queueing the next batch while this one is written and committed.
      bool handed_on = false;
      const std::function<void()> committing = [this, &handed_on] {
        if (handed_on) return;
        handed_on = true;
        absl::MutexLock lock(&mu_);
        writing_ = false;
      };
      std::vector<absl::StatusOr<Answer>> answers = write_(batch->orders, committing);
      committing();
      // A writer that answers the wrong number of orders fails them all rather than answering anyone wrongly.
      if (answers.size() != batch->orders.size()) {
        answers.assign(batch->orders.size(), absl::InternalError("the batch was answered incompletely"));
      }
      {
        absl::MutexLock lock(&mu_);
        ++batches_;
        orders_ += static_cast<int64_t>(batch->orders.size());
      }
      absl::MutexLock lock(&answer_mu_);
      auto room = [this]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(answer_mu_) { return written_.size() < max_unanswered_; };
      answer_mu_.Await(absl::Condition(&room));
      written_.push_back({std::move(batch), std::move(answers)});
    }
  }

  // The answering thread: answers written batches in the order they were handed over, until the committers
  // have stopped and every batch is answered.
  void AnswerWritten() {
    while (true) {
      std::vector<Written> written;
      {
        absl::MutexLock lock(&answer_mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(answer_mu_) {
          return !written_.empty() || committers_done_;
        };
        answer_mu_.Await(absl::Condition(&ready));
        if (written_.empty()) return;
        written.swap(written_);
      }
      for (Written& w : written) {
        for (size_t i = 0; i < w.batch->answered.size(); ++i) w.batch->answered[i](std::move(w.answers[i]));
      }
    }
  }

  const WriteBatch write_;
  const size_t max_batch_;
  const size_t max_waiting_;
  const size_t max_unanswered_;
  absl::Mutex mu_;
  // Orders waiting for the next batch; full batches queue behind the open one.
  std::vector<std::unique_ptr<Batch>> waiting_ ABSL_GUARDED_BY(mu_);
  size_t waiting_orders_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a committer is writing a batch, before its COMMIT
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t batches_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t orders_ ABSL_GUARDED_BY(mu_) = 0;
  // Written batches waiting to be answered: a lock of their own, so that answering never delays a caller's
  // Submit or a committer taking its next batch.
  absl::Mutex answer_mu_;
  std::vector<Written> written_ ABSL_GUARDED_BY(answer_mu_);
  bool committers_done_ ABSL_GUARDED_BY(answer_mu_) = false;
  // Last: started once everything they use exists.
  std::thread answerer_;
  std::vector<std::thread> committers_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_GROUP_COMMIT_H_
