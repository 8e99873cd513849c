// Storage of what happens on a visit in the field: check-in and check-out with the contact (visit_contacts),
// visit reports (visit_reports), the reads over them (a child's visits, statistics) and the sweep that
// raises a missing check-out once. SQL only; the rules are field_visit_rules.h's. Every change appends its
// events to the visits outbox in the same transaction. A small interface for the edge, and the MariaDB
// implementation.
#ifndef SHOUHU_SERVICES_VISITS_FIELD_VISIT_STORE_H_
#define SHOUHU_SERVICES_VISITS_FIELD_VISIT_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/db.h"
#include "common/event_feed.h"
#include "common/idempotency.h"
#include "common/outbox.h"
#include "common/paging.h"
#include "common/pii_crypto.h"
#include "services/visits/cadence.h"
#include "services/visits/field_visit_rules.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu::visits {

// Decides, on the locked assignment inside the transaction, whether the caller may act on it: OK, or the
// status to answer (NOT_FOUND outside scope).
using Admission = std::function<absl::Status(const AssignmentParties&)>;

struct CheckInCommand {
  std::string assignment_id;
  // The instant, from FieldInstant once the visit day is known.
  std::function<absl::StatusOr<absl::Time>(absl::CivilDay visit_day)> at;
  std::optional<v1::GeoPoint> location;
};

struct CheckOutCommand {
  std::string assignment_id;
  std::function<absl::StatusOr<absl::Time>(absl::CivilDay visit_day)> at;
  std::optional<v1::GeoPoint> location;
  v1::Contact contact;
};

// A stored report with who it belongs to, for the edge's scope check.
struct StoredReport {
  v1::VisitReport report;
  AssignmentParties parties;
};

// A page of a child's visits, whatever their scope (the edge judges each record).
struct ChildVisitsFilter {
  std::string child_id;
  PageRequest page;  // after_id: the last assignment id of the previous page
};

struct StatisticsFilter {
  std::string division_prefix;
  std::string organisation_id;  // empty: any
  absl::CivilDay first_day;
  absl::CivilDay last_day;
};

// A payment the allowance service asked to be checked on the next visit to the child.
struct VerificationRequest {
  std::string payment_id;
  std::string program_id;
  std::string child_id;
  std::string division_code;
  std::string allowance_type;  // the allowance API's AllowanceType name
  int64_t amount_fen = 0;
  std::string paid_on;  // YYYY-MM-DD
};

struct PaymentVerificationCommand {
  std::string assignment_id;
  std::string payment_id;
  v1::PaymentVerificationResult result = v1::PAYMENT_VERIFICATION_RESULT_UNSPECIFIED;
  std::string note;
};

class FieldVisitStore {
 public:
  virtual ~FieldVisitStore() = default;

  // NOT_FOUND when the assignment does not exist (or `admit` refuses it); ALREADY_EXISTS when it was checked
  // in already. Appends VisitCheckedIn.
  virtual absl::StatusOr<v1::CheckInResponse> CheckIn(const IdempotencyKey& key, const Actor& actor,
                                                      const CheckInCommand& command,
                                                      const Admission& admit) = 0;
  // FAILED_PRECONDITION before the check-in or after the check-out. Appends VisitCheckedOut.
  virtual absl::StatusOr<v1::CheckOutResponse> CheckOut(const IdempotencyKey& key, const Actor& actor,
                                                        const CheckOutCommand& command,
                                                        const Admission& admit) = 0;

  // Stores a validated report, in a transaction of its own, and answers its version. One transaction per
  // report, not per batch, so one bad report does not hold back the others; the cost, measured by
  // tests/bench/visits/run-reports on the 2-core test machine (batches of 30,
  // innodb_flush_log_at_trx_commit=1): 322 reports/s at concurrency 1 (59% of sysbench oltp_insert's
  // commits), 2,126/s at 16 (23%), 2,086/s at 64 (13.5%). The plateau from 16 to 64 is most likely the outbox
  // (not profiled; the machine was shared): every report appends VisitReportSubmitted, and event-producing
  // commits serialise on its sequence row (common/outbox.h) — 2,000 reports/s is a province's weekend upload
  // in minutes, so batching a report's events is not worth a second outbox shape yet. The same report id
  // again: OK with the current version when the content equals what was submitted or what it is now (nothing
  // changes), else ALREADY_EXISTS. Another report for the same assignment: ALREADY_EXISTS. A visit whose day
  // has not come (Asia/Shanghai, by actor.at): FAILED_PRECONDITION naming "assignment_id". Appends
  // VisitReportSubmitted, DangerSignsRaised and UrgentNeedFound as the report warrants.
  virtual absl::StatusOr<int64_t> SubmitReport(const Actor& actor, const v1::VisitReport& report,
                                               const Admission& admit) = 0;
  // Replaces a report's content when `base_version` is its current version, else ABORTED (StaleVersion,
  // carrying the current one); FAILED_PRECONDITION naming "report.assignment_id" while the visit's day has
  // not come. Raises events for danger signs and urgent needs the edit adds.
  virtual absl::StatusOr<v1::EditVisitReportResponse> EditReport(const IdempotencyKey& key,
                                                                 const Actor& actor,
                                                                 const v1::VisitReport& report,
                                                                 int64_t base_version,
                                                                 const Admission& admit) = 0;
  virtual absl::StatusOr<std::optional<StoredReport>> GetReport(const std::string& report_id) = 0;

  // Newest visit day first, then assignment id descending.
  virtual absl::StatusOr<std::vector<v1::VisitRecord>> ListChildVisits(const ChildVisitsFilter& filter) = 0;
  // By county, then month.
  virtual absl::StatusOr<std::vector<v1::VisitStatisticsRow>> Statistics(const StatisticsFilter& filter) = 0;

  // Raises VisitCheckOutMissing for every visit checked in, not checked out and not yet alerted whose slot
  // ended at or before `slot_ended_by`; each in its own transaction that marks the visit, so concurrent or
  // repeated sweeps raise each alert once. Returns the alerts this call raised.
  virtual absl::StatusOr<int> RaiseMissingCheckOuts(absl::Time slot_ended_by, absl::Time now) = 0;

  // Verification after payment. The payments still to be checked for each of `child_ids` (what to ask
  // about), by child.
  virtual absl::StatusOr<std::map<std::string, std::vector<v1::PaymentToVerify>>> PaymentsToVerify(
      const std::vector<std::string>& child_ids) = 0;
  // Records what the visitor found, on the admitted assignment of the payment's child while its visit is
  // checked in (FAILED_PRECONDITION before the check-in, or when the payment was checked already; NOT_FOUND
  // when no check of the payment is pending for that child). Appends PaymentVerificationRecorded.
  virtual absl::StatusOr<v1::PaymentVerification> RecordPaymentVerification(
      const IdempotencyKey& key, const Actor& actor, const PaymentVerificationCommand& command,
      const Admission& admit) = 0;

  // The feed StreamEvents serves the visits outbox from.
  virtual EventFeed& event_feed() = 0;
};

class MariaDbFieldVisitStore final : public FieldVisitStore {
 public:
  // `outbox` is the visits service's one outbox (shared with the other stores of the service).
  // `crypto` seals each report's content; it must outlive the store. `cadence` schedules a case's next visit
  // from its last completed one.
  MariaDbFieldVisitStore(db::Pool& pool, Outbox& outbox, VisitTimes times, const PiiCrypto& crypto,
                         CadencePolicy cadence)
      : pool_(pool), outbox_(outbox), times_(times), crypto_(crypto), cadence_(cadence) {}

  absl::StatusOr<v1::CheckInResponse> CheckIn(const IdempotencyKey& key, const Actor& actor,
                                              const CheckInCommand& command, const Admission& admit) override;
  absl::StatusOr<v1::CheckOutResponse> CheckOut(const IdempotencyKey& key, const Actor& actor,
                                                const CheckOutCommand& command,
                                                const Admission& admit) override;
  absl::StatusOr<int64_t> SubmitReport(const Actor& actor, const v1::VisitReport& report,
                                       const Admission& admit) override;
  absl::StatusOr<v1::EditVisitReportResponse> EditReport(const IdempotencyKey& key, const Actor& actor,
                                                         const v1::VisitReport& report, int64_t base_version,
                                                         const Admission& admit) override;
  absl::StatusOr<std::optional<StoredReport>> GetReport(const std::string& report_id) override;
  absl::StatusOr<std::vector<v1::VisitRecord>> ListChildVisits(const ChildVisitsFilter& filter) override;
  absl::StatusOr<std::vector<v1::VisitStatisticsRow>> Statistics(const StatisticsFilter& filter) override;
  absl::StatusOr<int> RaiseMissingCheckOuts(absl::Time slot_ended_by, absl::Time now) override;
  absl::StatusOr<std::map<std::string, std::vector<v1::PaymentToVerify>>> PaymentsToVerify(
      const std::vector<std::string>& child_ids) override;
  absl::StatusOr<v1::PaymentVerification> RecordPaymentVerification(const IdempotencyKey& key,
                                                                    const Actor& actor,
                                                                    const PaymentVerificationCommand& command,
                                                                    const Admission& admit) override;
  // In `tx` (the allowance follower's, with its checkpoint): the check becomes pending, once per payment; a
  // replay changes nothing. True when this call recorded it.
  static absl::StatusOr<bool> RequestPaymentVerification(db::Session& tx, const VerificationRequest& request,
                                                         int64_t sequence, absl::Time now);
  EventFeed& event_feed() override { return outbox_.feed(); }

  // Seals the content of at most `limit` reports written before it was sealed (visits migration 0021), the
  // next ones in id order after `after_id`, in one transaction; moves `after_id` past them. Returns how many
  // it sealed: fewer than `limit` when none are left after the cursor.
  absl::StatusOr<int64_t> SealPlainReports(std::string& after_id, int64_t limit);

 private:
  db::Pool& pool_;
  Outbox& outbox_;
  const VisitTimes times_;
  const PiiCrypto& crypto_;
  const CadencePolicy cadence_;
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_FIELD_VISIT_STORE_H_
