// Group commit for SubmitReferral. A referral alone is an idempotency claim, two inserts and a durable commit
// of its own; at many concurrent submitters the database spends its time on commits and statement round
// trips, not on the rows. Submissions are handed to one committer thread, which writes everything that
// arrived while the previous batch was in flight in one transaction (RegistryStore::SubmitReferrals: one
// statement per table for the whole batch, one commit), so under load each commit carries many referrals and
// each keeps every guarantee it has alone: its own idempotency record and first answer, durable before it is
// answered. The PII access log (access_log_writer.h) and allowance's payments (payment_queue.h) do the same.
//
// The caller is not held while its batch commits: `answered` runs on the committer's thread once the batch
// has committed (or failed), so the call worker that queued it serves other calls meanwhile.
#ifndef SHOUHU_SERVICES_REGISTRY_REFERRAL_INTAKE_H_
#define SHOUHU_SERVICES_REGISTRY_REFERRAL_INTAKE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/registry/registry_store.h"

namespace shouhu::registry {

class ReferralIntake {
 public:
  using Answered = std::function<void(absl::StatusOr<v1::SubmitReferralResponse>)>;
  // Writes one batch, answers[i] for orders[i]: RegistryStore::SubmitReferrals.
  using WriteBatch = std::function<std::vector<absl::StatusOr<v1::SubmitReferralResponse>>(
      const std::vector<ReferralOrder>&)>;

  // Starts the committer thread. At most `max_batch` referrals share a transaction.
  explicit ReferralIntake(RegistryStore& store, size_t max_batch = 128);
  ReferralIntake(WriteBatch write, size_t max_batch);
  // Writes what is queued, then stops the committer thread.
  ~ReferralIntake();
  ReferralIntake(const ReferralIntake&) = delete;
  ReferralIntake& operator=(const ReferralIntake&) = delete;

  // Queues the submission; `answered` gets what SubmitReferral alone would answer, on the committer's
  // thread (it must be quick and must not block), or UNAVAILABLE at once when stopping.
  void Submit(ReferralOrder order, Answered answered);

  // Batches committed so far and the referrals they carried: the benchmark and tests read their ratio.
  std::pair<int64_t, int64_t> BatchesAndReferrals();

 private:
  struct Batch {
    std::vector<ReferralOrder> orders;
    std::vector<Answered> answered;
  };

  void Run();

  const WriteBatch write_;
  const size_t max_batch_;
  absl::Mutex mu_;
  // Submissions waiting for the next batch; full batches queue behind the open one.
  std::vector<std::unique_ptr<Batch>> waiting_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t batches_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t referrals_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread committer_;  // last: started once everything it uses exists
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REFERRAL_INTAKE_H_
