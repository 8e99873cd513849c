// The registry's store in memory, behind the same RegistryStore interface as the MariaDB one, for fast edge
// tests (authorization, validation, scope) that need no database. It keeps the store's contract — ids and
// timestamps assigned here, the matches kept on a referral, triage and lifecycle rules applied to the record
// as it is, the first answer of a mutation replayed to a retry, nothing written when a change is refused —
// but not its concurrency: one mutex serialises everything.
#ifndef SHOUHU_TESTS_SUPPORT_IN_MEMORY_REGISTRY_STORE_H_
#define SHOUHU_TESTS_SUPPORT_IN_MEMORY_REGISTRY_STORE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/event_feed.h"
#include "common/ids.h"
#include "services/registry/registry_store.h"

namespace shouhu::registry::testing {

class InMemoryRegistryStore final : public RegistryStore {
 public:
  InMemoryRegistryStore(const Clock& clock, IdGenerator& ids);

  // Reference data the tests need: the villages they use and their parents.
  void AddDivision(const v1::Division& division);

  // What has been written, for "nothing was written" assertions.
  size_t referrals() const;
  size_t children() const;
  size_t cases() const;
  size_t idempotency_records() const;
  size_t access_log_entries() const;

  // While held, reads' log rows wait (RecordAccessThen, through which every deferred read of the log goes),
  // and a child's read (ReadChildThen) waits before the child is read and its read decided, as in the real
  // log, whose transaction reads the child: their callers are not answered until the log is released, as
  // when the log's commit is slow.
  void HoldAccessLog();
  void ReleaseAccessLog();
  size_t held_reads() const;
  // Waits until at least `n` reads are held or `bound` passes: a liveness bound, not a timing target, so
  // that a regression fails rather than hangs.
  void AwaitHeldReads(size_t n, absl::Duration bound = absl::Seconds(20)) const;
  // While held, the page reads (SearchChildren, ListReferrals) wait before they read, as a slow SELECT would:
  // a caller can give up while their page is read.
  void HoldPageReads();
  void ReleasePageReads();
  // Waits until at least `n` page reads are held or `bound` passes (a liveness bound, as above).
  void AwaitHeldPageReads(size_t n, absl::Duration bound = absl::Seconds(20)) const;

  absl::StatusOr<std::optional<v1::Division>> GetDivision(const std::string& code) override;
  absl::StatusOr<std::vector<v1::Division>> ListChildDivisions(const std::string& parent_code,
                                                               const std::string& after_code,
                                                               int limit) override;
  absl::StatusOr<v1::SubmitReferralResponse> SubmitReferral(const IdempotencyKey& key, const Actor& actor,
                                                            const ReferralRecord& submission,
                                                            const ShowReferral& show) override;
  absl::StatusOr<std::optional<ReferralRecord>> GetReferral(const std::string& referral_id) override;
  absl::StatusOr<std::vector<ReferralRecord>> ListReferrals(const ReferralFilter& filter) override;
  absl::StatusOr<v1::AcceptReferralResponse> AcceptReferral(const IdempotencyKey& key, const Actor& actor,
                                                            const Acceptance& acceptance,
                                                            const Authorize<v1::Referral>& authorize,
                                                            const CheckChild& check_child) override;
  absl::StatusOr<v1::RejectReferralResponse> RejectReferral(const IdempotencyKey& key, const Actor& actor,
                                                            const std::string& referral_id,
                                                            const std::string& reason,
                                                            const Authorize<v1::Referral>& authorize,
                                                            const ShowReferral& show) override;
  absl::StatusOr<v1::TransferReferralResponse> TransferReferral(const IdempotencyKey& key, const Actor& actor,
                                                                const std::string& referral_id,
                                                                const std::string& to_organisation_id,
                                                                const std::string& reason,
                                                                const Authorize<v1::Referral>& authorize,
                                                                const ShowReferral& show) override;
  absl::StatusOr<std::optional<v1::Case>> GetCase(const std::string& case_id, bool with_history) override;
  absl::StatusOr<v1::Case> ChangeCase(const IdempotencyKey& key, const Actor& actor,
                                      const std::string& case_id, const Authorize<v1::Case>& authorize,
                                      const CaseRule& rule) override;
  absl::StatusOr<v1::Case> MoveHousehold(const IdempotencyKey& key, const Actor& actor,
                                         const std::string& case_id, const v1::Household& to,
                                         const std::string& reason,
                                         const Authorize<v1::Case>& authorize) override;
  absl::StatusOr<std::optional<v1::Child>> GetChild(const std::string& child_id) override;
  absl::StatusOr<std::vector<v1::Child>> SearchChildren(const ChildFilter& filter) override;
  absl::StatusOr<Statistics> GetStatistics(const std::string& division_prefix) override;
  absl::Status RecordAccess(std::vector<AccessRecord> records) override;
  void ReadChildThen(std::string child_id, DecideChildRead decide,
                     std::function<void(absl::Status)> committed) override;
  void RecordAccessThen(std::vector<AccessRecord> records,
                        std::function<void(absl::Status)> committed) override;
  absl::StatusOr<std::vector<v1::AccessLogEntry>> ListAccessLog(const AccessLogFilter& filter) override;
  // The same feed the MariaDB store serves, over the events recorded here.
  EventFeed& event_feed() override { return *feed_; }

 private:
  struct StoredAnswer {
    std::string request_hash;
    std::string bytes;
  };
  struct AccessEntry {
    v1::AccessLogEntry entry;
    std::string village_code;
  };

  // The first answer for the key, or runs `first` and records its answer.
  template <typename Response>
  absl::StatusOr<Response> Idempotent(const IdempotencyKey& key,
                                      const std::function<absl::StatusOr<Response>()>& first)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The referral with where its linked child lies now.
  ReferralRecord Resolved(const ReferralRecord& stored) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Child WithCase(const v1::Child& child) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns once page reads are not held.
  void AwaitPageReadsReleased() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(const std::string& aggregate_id, const google::protobuf::Message& event, absl::Time at)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A lifecycle rule's change written over `stored`, its history entry appended and its event published.
  v1::Case Write(v1::Case& stored, const CaseChange& change, absl::Time at)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock& clock_;
  IdGenerator& ids_;
  mutable absl::Mutex mu_;
  std::map<std::string, v1::Division> divisions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ReferralRecord> referrals_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Child> children_ ABSL_GUARDED_BY(mu_);  // resident id in clear
  std::map<std::string, v1::Case> cases_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, StoredAnswer> answers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, AccessEntry> access_log_ ABSL_GUARDED_BY(mu_);
  bool access_log_held_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::function<void()>> held_reads_ ABSL_GUARDED_BY(mu_);  // each done on release
  bool page_reads_held_ ABSL_GUARDED_BY(mu_) = false;
  size_t held_page_reads_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<common::v1::Event> events_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<EventFeed> feed_;  // reads events_; declared last, so it stops first
};

}  // namespace shouhu::registry::testing

#endif  // SHOUHU_TESTS_SUPPORT_IN_MEMORY_REGISTRY_STORE_H_
