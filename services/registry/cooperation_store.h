// Persistence of the registry's casework with others (cooperation_service.proto): consents, service
// referrals out, county transfers, mandatory reports and reintegration outcomes. SQL lives here and nowhere
// else. It shares the registry's schema, pool and outbox (the same process owns cases and consents), and
// seals mandatory reporters with the registry's PII keys. Every mutation runs in one IdempotentTransaction
// with the scope check on the locked row; the pure rules it applies are in consent_coverage,
// service_referral_flow, county_transfer_flow and mandatory_report_flow.
#ifndef SHOUHU_SERVICES_REGISTRY_COOPERATION_STORE_H_
#define SHOUHU_SERVICES_REGISTRY_COOPERATION_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/outbox.h"
#include "common/pii_crypto.h"
#include "services/registry/mandatory_report_flow.h"
#include "services/registry/registry_store.h"
#include "shouhu/registry/v1/cooperation_service.pb.h"

namespace shouhu::registry {

template <typename Record>
using Rule = std::function<absl::StatusOr<Record>(const Record&, const Actor&)>;

// Checks a consenter against the child's birth date (consent_coverage.h CheckConsenter for today).
using CheckConsenterFor = std::function<absl::Status(absl::CivilDay birth_date)>;
// Picks the consent that covers a sharing among the child's consents for that organisation and purpose.
using ChooseConsent = std::function<absl::StatusOr<v1::Consent>(const std::vector<v1::Consent>&)>;

struct ServiceReferralFilter {
  v1::Direction direction = v1::DIRECTION_OUTGOING;
  // The child's villages under the prefix (empty: everywhere). OUTGOING: from `organisation` (empty: any).
  // INCOMING: to `organisation`.
  std::string division_prefix;
  std::string organisation_id;
  v1::ServiceReferralStatus status = v1::SERVICE_REFERRAL_STATUS_UNSPECIFIED;
  std::string after_id;
  int limit = 50;
};

struct CountyTransferFilter {
  v1::Direction direction = v1::DIRECTION_OUTGOING;
  // OUTGOING: from villages under the prefix; INCOMING: to villages under it. `organisation_id` (empty:
  // any) is the sending or the named receiving organisation.
  std::string division_prefix;
  std::string organisation_id;
  v1::CountyTransferStatus status = v1::COUNTY_TRANSFER_STATUS_UNSPECIFIED;
  std::string after_id;
  int limit = 50;
};

// Who filed a mandatory report, as sealed with it.
struct Reporter {
  std::string subject;
  std::string organisation_id;
};

class CooperationStore {
 public:
  virtual ~CooperationStore() = default;

  // `draft` holds what was validated; the store fills ids, the child and the timestamps.
  virtual absl::StatusOr<v1::Consent> RecordConsent(const IdempotencyKey& key, const Actor& actor,
                                                    const v1::Consent& draft,
                                                    const Authorize<v1::Case>& authorize,
                                                    const CheckConsenterFor& check) = 0;
  // Withdrawing a withdrawn consent returns it as it is.
  virtual absl::StatusOr<v1::Consent> WithdrawConsent(const IdempotencyKey& key, const Actor& actor,
                                                      const std::string& consent_id,
                                                      const std::string& reason,
                                                      const Authorize<v1::Case>& authorize) = 0;
  virtual absl::StatusOr<std::optional<v1::Consent>> GetConsent(const std::string& consent_id) = 0;
  virtual absl::StatusOr<std::vector<v1::Consent>> ListConsents(const std::string& child_id) = 0;

  // Locks the case and the child's consents for that organisation and purpose (so a withdrawal waits or
  // is waited for), lets `choose` pick the covering one, then writes the referral under it.
  virtual absl::StatusOr<v1::ServiceReferral> CreateServiceReferral(const IdempotencyKey& key,
                                                                    const Actor& actor,
                                                                    const v1::ServiceReferral& draft,
                                                                    const Authorize<v1::Case>& authorize,
                                                                    const ChooseConsent& choose) = 0;
  virtual absl::StatusOr<std::optional<v1::ServiceReferral>> GetServiceReferral(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<v1::ServiceReferral>> ListServiceReferrals(
      const ServiceReferralFilter& filter) = 0;
  virtual absl::StatusOr<v1::ServiceReferral> ChangeServiceReferral(
      const IdempotencyKey& key, const Actor& actor, const std::string& id,
      const Authorize<v1::ServiceReferral>& authorize, const Rule<v1::ServiceReferral>& rule) = 0;
  // The child as a receiver is shown it.
  virtual absl::StatusOr<std::optional<v1::SharedChild>> GetSharedChild(const std::string& child_id) = 0;

  // FAILED_PRECONDITION when the case is closed or already has an open transfer request. `to_home`'s address
  // and coordinates (its village is the draft's) are kept for the accept.
  virtual absl::StatusOr<v1::CountyTransfer> RequestCountyTransfer(const IdempotencyKey& key,
                                                                   const Actor& actor,
                                                                   const v1::CountyTransfer& draft,
                                                                   const v1::Household& to_home,
                                                                   const Authorize<v1::Case>& authorize) = 0;
  // Applies `rule` to the locked transfer; when it becomes ACCEPTED, moves the case (and its child) to the
  // new village and organisation, with a history entry and a CaseMovedCounty event, in the same
  // transaction.
  virtual absl::StatusOr<v1::CountyTransfer> ChangeCountyTransfer(
      const IdempotencyKey& key, const Actor& actor, const std::string& id,
      const Authorize<v1::CountyTransfer>& authorize, const Rule<v1::CountyTransfer>& rule) = 0;
  virtual absl::StatusOr<std::vector<v1::CountyTransfer>> ListCountyTransfers(
      const CountyTransferFilter& filter) = 0;

  // Seals `reporter` (and the child's resident id, if given) bound to the new report's id; the answer
  // holds neither.
  virtual absl::StatusOr<v1::MandatoryReport> FileMandatoryReport(const IdempotencyKey& key,
                                                                  const Actor& actor,
                                                                  const v1::MandatoryReport& draft,
                                                                  const std::string& child_resident_id,
                                                                  const ReportDeadlines& deadlines) = 0;
  virtual absl::StatusOr<std::optional<v1::MandatoryReport>> GetMandatoryReport(const std::string& id) = 0;
  virtual absl::StatusOr<v1::MandatoryReport> ChangeMandatoryReport(
      const IdempotencyKey& key, const Actor& actor, const std::string& id,
      const Authorize<v1::MandatoryReport>& authorize, const Rule<v1::MandatoryReport>& rule) = 0;
  // FILED reports whose deadline is before `now`, in villages under the prefix, earliest deadline first.
  virtual absl::StatusOr<std::vector<v1::MandatoryReport>> ListOverdueMandatoryReports(
      const std::string& division_prefix, absl::Time now, int limit) = 0;
  // The reports `subject` filed, by id.
  virtual absl::StatusOr<std::vector<v1::MandatoryReport>> ListReportsFiledBy(const std::string& subject,
                                                                              const std::string& after_id,
                                                                              int limit) = 0;
  virtual absl::StatusOr<std::optional<Reporter>> UnsealReporter(const std::string& report_id) = 0;

  virtual absl::StatusOr<v1::ReintegrationOutcome> RecordReintegrationOutcome(
      const IdempotencyKey& key, const Actor& actor, const v1::ReintegrationOutcome& draft,
      const Authorize<v1::Case>& authorize) = 0;
  // Each case's latest outcome whose follow-up date is on or before `due_by`, in villages under the prefix
  // (and of `organisation_id` unless empty), earliest first.
  virtual absl::StatusOr<std::vector<v1::ReintegrationOutcome>> ListReintegrationFollowUpsDue(
      const std::string& division_prefix, const std::string& organisation_id, const std::string& due_by,
      int limit) = 0;
};

class MariaDbCooperationStore final : public CooperationStore {
 public:
  MariaDbCooperationStore(db::Pool& pool, IdGenerator& ids, const PiiCrypto& crypto, Outbox& outbox)
      : pool_(pool), ids_(ids), crypto_(crypto), outbox_(outbox) {}

  absl::StatusOr<v1::Consent> RecordConsent(const IdempotencyKey& key, const Actor& actor,
                                            const v1::Consent& draft, const Authorize<v1::Case>& authorize,
                                            const CheckConsenterFor& check) override;
  absl::StatusOr<v1::Consent> WithdrawConsent(const IdempotencyKey& key, const Actor& actor,
                                              const std::string& consent_id, const std::string& reason,
                                              const Authorize<v1::Case>& authorize) override;
  absl::StatusOr<std::optional<v1::Consent>> GetConsent(const std::string& consent_id) override;
  absl::StatusOr<std::vector<v1::Consent>> ListConsents(const std::string& child_id) override;
  absl::StatusOr<v1::ServiceReferral> CreateServiceReferral(const IdempotencyKey& key, const Actor& actor,
                                                            const v1::ServiceReferral& draft,
                                                            const Authorize<v1::Case>& authorize,
                                                            const ChooseConsent& choose) override;
  absl::StatusOr<std::optional<v1::ServiceReferral>> GetServiceReferral(const std::string& id) override;
  absl::StatusOr<std::vector<v1::ServiceReferral>> ListServiceReferrals(
      const ServiceReferralFilter& filter) override;
  absl::StatusOr<v1::ServiceReferral> ChangeServiceReferral(const IdempotencyKey& key, const Actor& actor,
                                                            const std::string& id,
                                                            const Authorize<v1::ServiceReferral>& authorize,
                                                            const Rule<v1::ServiceReferral>& rule) override;
  absl::StatusOr<std::optional<v1::SharedChild>> GetSharedChild(const std::string& child_id) override;
  absl::StatusOr<v1::CountyTransfer> RequestCountyTransfer(const IdempotencyKey& key, const Actor& actor,
                                                           const v1::CountyTransfer& draft,
                                                           const v1::Household& to_home,
                                                           const Authorize<v1::Case>& authorize) override;
  absl::StatusOr<v1::CountyTransfer> ChangeCountyTransfer(const IdempotencyKey& key, const Actor& actor,
                                                          const std::string& id,
                                                          const Authorize<v1::CountyTransfer>& authorize,
                                                          const Rule<v1::CountyTransfer>& rule) override;
  absl::StatusOr<std::vector<v1::CountyTransfer>> ListCountyTransfers(
      const CountyTransferFilter& filter) override;
  absl::StatusOr<v1::MandatoryReport> FileMandatoryReport(const IdempotencyKey& key, const Actor& actor,
                                                          const v1::MandatoryReport& draft,
                                                          const std::string& child_resident_id,
                                                          const ReportDeadlines& deadlines) override;
  absl::StatusOr<std::optional<v1::MandatoryReport>> GetMandatoryReport(const std::string& id) override;
  absl::StatusOr<v1::MandatoryReport> ChangeMandatoryReport(const IdempotencyKey& key, const Actor& actor,
                                                            const std::string& id,
                                                            const Authorize<v1::MandatoryReport>& authorize,
                                                            const Rule<v1::MandatoryReport>& rule) override;
  absl::StatusOr<std::vector<v1::MandatoryReport>> ListOverdueMandatoryReports(
      const std::string& division_prefix, absl::Time now, int limit) override;
  absl::StatusOr<std::vector<v1::MandatoryReport>> ListReportsFiledBy(const std::string& subject,
                                                                      const std::string& after_id,
                                                                      int limit) override;
  absl::StatusOr<std::optional<Reporter>> UnsealReporter(const std::string& report_id) override;
  absl::StatusOr<v1::ReintegrationOutcome> RecordReintegrationOutcome(
      const IdempotencyKey& key, const Actor& actor, const v1::ReintegrationOutcome& draft,
      const Authorize<v1::Case>& authorize) override;
  absl::StatusOr<std::vector<v1::ReintegrationOutcome>> ListReintegrationFollowUpsDue(
      const std::string& division_prefix, const std::string& organisation_id, const std::string& due_by,
      int limit) override;

 private:
  db::Pool& pool_;
  IdGenerator& ids_;
  const PiiCrypto& crypto_;
  Outbox& outbox_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_COOPERATION_STORE_H_
