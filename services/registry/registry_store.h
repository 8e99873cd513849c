// The registry's persistence: the interface the service edge uses, and its MariaDB implementation. SQL
// lives here and nowhere else; records travel as the registry's resource messages (plain data). Resident ids
// are sealed on the way in and opened on the way out here, so no other layer sees ciphertext or keys.
#ifndef SHOUHU_SERVICES_REGISTRY_REGISTRY_STORE_H_
#define SHOUHU_SERVICES_REGISTRY_REGISTRY_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/idempotent_batch.h"
#include "common/ids.h"
#include "common/migrations.h"
#include "common/outbox.h"
#include "common/pii_crypto.h"
#include "services/registry/access_log_writer.h"
#include "services/registry/case_lifecycle.h"
#include "services/registry/duplicates.h"
#include "services/registry/referral_record.h"
#include "services/registry/statistics_counts.h"
#include "services/registry/triage.h"
#include "shouhu/registry/v1/registry_service.pb.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu {

std::vector<db::Migration> RegistryMigrations();

namespace registry {

// Checks, inside the transaction and after the row is locked, that the caller may act on it (NOT_FOUND if
// not), so authorization and the change see the same version of the record.
template <typename Record>
using Authorize = std::function<absl::Status(const Record&)>;

// What a caller is shown of a referral (registry_access.h ReferralAsSeenBy): a mutation's answer is built,
// and kept, as its caller sees it.
using ShowReferral = std::function<v1::Referral(const ReferralRecord&)>;

// Whether a referral may be accepted onto a registered child (triage.h CheckAcceptOnto for the caller).
using CheckChild = std::function<absl::Status(const RegisteredChild&)>;

struct ReferralFilter {
  std::string division_prefix;
  // Instead of the referrals about households in the prefix, those about children registered there that
  // matched by resident id (submitted anywhere): the duplicates other jurisdictions found.
  bool incoming = false;
  v1::ReferralStatus status = v1::REFERRAL_STATUS_UNSPECIFIED;  // any
  // Empty: any. Else the referring or triaging organisation; for incoming ones, the one whose case holds
  // the child.
  std::string organisation_id;
  std::string after_id;
  int limit = 50;
};

struct ChildFilter {
  std::string division_prefix;
  v1::ChildCategory category = v1::CHILD_CATEGORY_UNSPECIFIED;
  v1::RiskLevel risk_level = v1::RISK_LEVEL_UNSPECIFIED;
  v1::CaseStatus case_status = v1::CASE_STATUS_UNSPECIFIED;
  std::string organisation_id;
  std::string after_id;
  int limit = 50;
};

struct AccessLogFilter {
  std::string division_prefix;
  std::string record_id;
  std::string subject;
  std::string after_id;
  int limit = 100;
};

struct Acceptance {
  std::string referral_id;
  std::string organisation_id;
  std::string caseworker_id;
  v1::RiskLevel risk_level = v1::RISK_LEVEL_UNSPECIFIED;
  std::string existing_child_id;
};

using CaseRule = std::function<absl::StatusOr<CaseChange>(const v1::Case&, const Actor&)>;

// One SubmitReferral as a group commit carries it (SubmitReferrals, common/group_commit.h): its arguments,
// kept until its batch commits. `show` must own what it uses (it runs on the committer's thread).
struct ReferralOrder {
  IdempotencyKey key;
  Actor actor;
  ReferralRecord submission;
  ShowReferral show;
};

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  virtual absl::StatusOr<std::optional<v1::Division>> GetDivision(const std::string& code) = 0;
  // The division when the store knows it without asking the database (nullopt otherwise, whether or not it
  // exists): quick and never blocking, so a call may check it on the thread it arrived on.
  virtual std::optional<v1::Division> KnownDivision(const std::string& /*code*/) { return std::nullopt; }
  virtual absl::StatusOr<std::vector<v1::Division>> ListChildDivisions(const std::string& parent_code,
                                                                       const std::string& after_code,
                                                                       int limit) = 0;

  // Every mutation runs in one IdempotentTransaction (common/idempotency.h): it builds the RPC's answer
  // inside the transaction, the answer is recorded with the request id, and a retry gets that first answer
  // back. A recorded answer holds no resident id: SubmitReferral's caller refills it from the retried request
  // (whose hash matched), the other referral answers get it from the sealed column after the transaction.

  // `submission` carries what was validated (its linked child and possible duplicates empty); the store
  // matches it against the registered children inside the transaction that writes it (duplicates.h: the
  // child under the same resident id wherever they are registered, else similar names of the same village
  // and birth date; all of them are kept on the referral privately) and assigns the id, status and
  // timestamps.
  virtual absl::StatusOr<v1::SubmitReferralResponse> SubmitReferral(const IdempotencyKey& key,
                                                                    const Actor& actor,
                                                                    const ReferralRecord& submission,
                                                                    const ShowReferral& show) = 0;
  // Several submissions in one transaction and one commit, each answered as SubmitReferral alone would
  // answer it (its own idempotency record and first answer; a retry of a committed one answered from its
  // record). answers[i] is orders[i]'s. `committing` as in group_commit.h. The default runs them one by one.
  virtual std::vector<absl::StatusOr<v1::SubmitReferralResponse>> SubmitReferrals(
      const std::vector<ReferralOrder>& orders, const std::function<void()>& /*committing*/) {
    std::vector<absl::StatusOr<v1::SubmitReferralResponse>> answers;
    for (const ReferralOrder& o : orders)
      answers.push_back(SubmitReferral(o.key, o.actor, o.submission, o.show));
    return answers;
  }
  // Matches come with where the linked child is registered now and whose case they are in; possible
  // duplicates lie in the referral's village, their organisation not read.
  virtual absl::StatusOr<std::optional<ReferralRecord>> GetReferral(const std::string& referral_id) = 0;
  // One query for the page.
  virtual absl::StatusOr<std::vector<ReferralRecord>> ListReferrals(const ReferralFilter& filter) = 0;
  virtual absl::StatusOr<v1::AcceptReferralResponse> AcceptReferral(const IdempotencyKey& key,
                                                                    const Actor& actor,
                                                                    const Acceptance& acceptance,
                                                                    const Authorize<v1::Referral>& authorize,
                                                                    const CheckChild& check_child) = 0;
  virtual absl::StatusOr<v1::RejectReferralResponse> RejectReferral(
      const IdempotencyKey& key, const Actor& actor, const std::string& referral_id,
      const std::string& reason, const Authorize<v1::Referral>& authorize, const ShowReferral& show) = 0;
  virtual absl::StatusOr<v1::TransferReferralResponse> TransferReferral(
      const IdempotencyKey& key, const Actor& actor, const std::string& referral_id,
      const std::string& to_organisation_id, const std::string& reason,
      const Authorize<v1::Referral>& authorize, const ShowReferral& show) = 0;

  virtual absl::StatusOr<std::optional<v1::Case>> GetCase(const std::string& case_id, bool with_history) = 0;
  // Applies a lifecycle rule to the locked case and writes the result, its history entry and its event; the
  // answer is the case as changed, with its history.
  virtual absl::StatusOr<v1::Case> ChangeCase(const IdempotencyKey& key, const Actor& actor,
                                              const std::string& case_id,
                                              const Authorize<v1::Case>& authorize, const CaseRule& rule) = 0;
  // The child of the open case `case_id` moved home inside its county (case_lifecycle.h's MoveHousehold):
  // the child's household, the case's village and what follows them, with the history entry and the event;
  // the answer is the case as moved, with its history.
  virtual absl::StatusOr<v1::Case> MoveHousehold(const IdempotencyKey& key, const Actor& actor,
                                                 const std::string& case_id, const v1::Household& to,
                                                 const std::string& reason,
                                                 const Authorize<v1::Case>& authorize) = 0;

  // The child with their resident id in clear: the edge masks it.
  virtual absl::StatusOr<std::optional<v1::Child>> GetChild(const std::string& child_id) = 0;
  // Given the child read (nullopt when there is none), what its reader is shown and the read to log, or the
  // error to answer instead. Quick and never blocking: it may run on the access log's committer.
  using DecideChildRead = std::function<absl::StatusOr<AccessRead>(std::optional<v1::Child>)>;
  // GetChild and the log of what it showed, without holding the caller's thread: the child is read, `decide`
  // makes the read to log, and `committed` runs once, with OK when that read is durable, decide's error
  // (nothing logged), or the error that failed the read or the log; possibly on another thread.
  virtual void ReadChildThen(std::string child_id, DecideChildRead decide,
                             std::function<void(absl::Status)> committed) {
    absl::StatusOr<std::optional<v1::Child>> child = GetChild(child_id);
    if (!child.ok()) return committed(child.status());
    absl::StatusOr<AccessRead> read = decide(*std::move(child));
    if (!read.ok()) return committed(read.status());
    RecordReadThen(*std::move(read), std::move(committed));
  }
  virtual absl::StatusOr<std::vector<v1::Child>> SearchChildren(const ChildFilter& filter) = 0;
  virtual absl::StatusOr<Statistics> GetStatistics(const std::string& division_prefix) = 0;

  // Returns once the rows are durable; concurrent callers share one commit.
  virtual absl::Status RecordAccess(std::vector<AccessRecord> records) = 0;
  // As RecordAccess, without holding the caller's thread: `committed` runs once with the result, when the
  // rows are durable or could not be written, possibly on another thread; it must not block.
  virtual void RecordAccessThen(std::vector<AccessRecord> records,
                                std::function<void(absl::Status)> committed) {
    committed(RecordAccess(std::move(records)));
  }
  // As RecordAccessThen for one read of many records (a page of a search): its reader, fields and purpose
  // are given once, not copied into every record.
  virtual void RecordReadThen(AccessRead read, std::function<void(absl::Status)> committed) {
    std::vector<AccessRecord> records;
    records.reserve(read.records.size());
    for (AccessedRecord& r : read.records) {
      records.push_back({read.subject, read.organisation_id, read.record_type, std::move(r.record_id),
                         std::move(r.village_code), read.fields, read.purpose, read.method,
                         std::move(r.consent_id)});
    }
    RecordAccessThen(std::move(records), std::move(committed));
  }
  virtual absl::StatusOr<std::vector<v1::AccessLogEntry>> ListAccessLog(const AccessLogFilter& filter) = 0;

  // The outbox's events, as the process's StreamEvents followers are served them.
  virtual EventFeed& event_feed() = 0;
};

class MariaDbRegistryStore final : public RegistryStore {
 public:
  // `access_log_node`, when it has a pool, is the one database node the PII access log is written through
  // (and the reads logged in its transaction made), falling back to `pool`; the log's figures go on
  // `metrics` (AccessLogWriter).
  MariaDbRegistryStore(db::Pool& pool, const Clock& clock, IdGenerator& ids, PiiCrypto crypto,
                       LogNode access_log_node = {}, Metrics* metrics = nullptr);
  ~MariaDbRegistryStore() override;

  absl::StatusOr<std::optional<v1::Division>> GetDivision(const std::string& code) override;
  // From the divisions found before (a division found once is kept).
  std::optional<v1::Division> KnownDivision(const std::string& code) override;
  absl::StatusOr<std::vector<v1::Division>> ListChildDivisions(const std::string& parent_code,
                                                               const std::string& after_code,
                                                               int limit) override;
  absl::StatusOr<v1::SubmitReferralResponse> SubmitReferral(const IdempotencyKey& key, const Actor& actor,
                                                            const ReferralRecord& submission,
                                                            const ShowReferral& show) override;
  std::vector<absl::StatusOr<v1::SubmitReferralResponse>> SubmitReferrals(
      const std::vector<ReferralOrder>& orders, const std::function<void()>& committing) override;
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
  // The child is read in the access log's transaction, with the other children of its batch (one
  // statement for the batch).
  void ReadChildThen(std::string child_id, DecideChildRead decide,
                     std::function<void(absl::Status)> committed) override;
  absl::StatusOr<std::vector<v1::Child>> SearchChildren(const ChildFilter& filter) override;
  absl::StatusOr<Statistics> GetStatistics(const std::string& division_prefix) override;
  absl::Status RecordAccess(std::vector<AccessRecord> records) override;
  void RecordAccessThen(std::vector<AccessRecord> records,
                        std::function<void(absl::Status)> committed) override;
  void RecordReadThen(AccessRead read, std::function<void(absl::Status)> committed) override;
  absl::StatusOr<std::vector<v1::AccessLogEntry>> ListAccessLog(const AccessLogFilter& filter) override;
  EventFeed& event_feed() override { return outbox_.feed(); }
  // The registry's one outbox, shared with the roster, casework and cooperation stores: one process, one
  // sequence of events for its followers.
  Outbox& outbox() { return outbox_; }
  const PiiCrypto& crypto() const { return crypto_; }

  // For casework changing a case inside its own transaction (casework_store.h): the case row locked, and a
  // lifecycle rule's change written with its history entry and event, as ChangeCase does.
  absl::StatusOr<std::optional<v1::Case>> LockCase(db::Session& tx, const std::string& case_id);
  absl::Status WriteCaseChange(db::Session& tx, const std::string& case_id, const CaseChange& change);

 private:
  // A submission as written: its referral row's and history line's statement parameters, and the answer
  // its submitter gets (without the resident id). Made afresh on every attempt of a transaction.
  struct PreparedReferral {
    std::vector<db::Value> referral;
    std::vector<db::Value> history;
    v1::SubmitReferralResponse answer;
  };
  PreparedReferral PrepareReferral(const Actor& actor, ReferralRecord submission, const ShowReferral& show);
  // The submissions as matched against the registered children (the store's SubmitReferral contract), read
  // in `tx`: one statement for all their resident ids, one for the villages and birth dates of those it did
  // not link, however many submissions (a statement per submission was most of MariaDB's time in intake).
  absl::StatusOr<std::vector<ReferralRecord>> MatchSubmissions(
      db::Session& tx, const std::vector<const ReferralRecord*>& submissions);
  // One slice of SubmitReferrals' transaction, orders[from, from + count): answers[i] is set for every order
  // it answered (written, or a retry of a committed one); an order left empty runs alone after the batch.
  // `seen` holds the keys written by earlier slices of the batch.
  // `matched[i]` is orders[i]'s submission as matched.
  absl::Status SubmitBatch(db::Session& tx, const std::vector<ReferralOrder>& orders,
                           std::vector<ReferralRecord>& matched, size_t from, size_t count, BatchKeys& seen,
                           std::vector<std::optional<absl::StatusOr<v1::SubmitReferralResponse>>>& answers);
  // By id in a transaction: the referral row (locked when `for_update`), then where its linked child lies
  // (not locked: the accept locks the child row itself).
  absl::StatusOr<std::optional<ReferralRecord>> ReadReferral(db::Session& session, const std::string& id,
                                                             bool for_update);
  absl::StatusOr<ReferralRecord> RecordFromRow(const db::Row& row);
  // Where each possible duplicate of the records lies now (its village and its current case's organisation),
  // in one statement: the scope that decides who is shown it.
  absl::Status PlaceDuplicates(db::Session& session, std::vector<ReferralRecord*> records);
  absl::StatusOr<std::optional<v1::Case>> ReadCase(db::Session& session, const std::string& id,
                                                   bool for_update, bool with_history);
  // Writes a triage rule's outcome: the referral's new state and its history line.
  absl::Status ApplyReferralChange(db::Session& tx, const Actor& actor, const ReferralChange& change);
  // Registers the referral's child, or returns the child a concurrent accept registered under the same
  // resident id. A child registered is added to `counts`.
  absl::StatusOr<std::string> CreateOrLinkChild(db::Session& tx, const Actor& actor,
                                                const v1::Referral& referral, CountChanges& counts);
  // The referral read in the transaction as its caller sees it, as an answer to keep: without its resident
  // id.
  absl::StatusOr<v1::Referral> AnswerReferral(db::Session& tx, const std::string& referral_id,
                                              const ShowReferral& show);
  // Puts the referral's resident id back into an answer that was kept without it.
  absl::Status RefillResidentId(v1::Referral& referral);
  // The children of `child_ids` found, by id, with their case and guardians; resident ids opened (a child
  // whose id cannot be opened is that error).
  absl::StatusOr<AccessLogWriter::FoundChildren> ReadChildren(db::Session& s,
                                                              const std::vector<std::string>& child_ids);
  // One child from its rows [first, end) of kChildrenWithGuardians, guardians in the rows' order.
  absl::StatusOr<v1::Child> ChildFromRows(const db::Rows& rows, size_t first, size_t end) const;

  db::Pool& pool_;
  const Clock& clock_;
  IdGenerator& ids_;
  PiiCrypto crypto_;
  Outbox outbox_;
  // Divisions only ever gain rows (codes are retired by new codes, not deleted), so a division found once is
  // remembered: every referral checks its village, and a county's villages are a few hundred rows.
  absl::Mutex divisions_mu_;
  absl::flat_hash_map<std::string, v1::Division> known_divisions_ ABSL_GUARDED_BY(divisions_mu_);
  AccessLogWriter access_log_;
};

}  // namespace registry
}  // namespace shouhu

#endif  // SHOUHU_SERVICES_REGISTRY_REGISTRY_STORE_H_
