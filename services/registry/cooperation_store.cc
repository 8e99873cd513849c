#include "services/registry/cooperation_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/registry/case_cooperation_records.h"
#include "services/registry/child_home.h"
#include "services/registry/county_category_store.h"
#include "services/registry/county_transfer_flow.h"
#include "services/registry/record_statements.h"
#include "services/registry/statistics_count_store.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::registry {
namespace {

// ---- SQL
// ----------------------------------------------------------------------------------------------------

// The case as scope and the cooperation rules need it, locked for the change that follows.
constexpr absl::string_view kCaseForUpdate =
    "SELECT id, child_id, organisation_id, caseworker_id, status, village_code FROM cases WHERE id = ? "
    "FOR UPDATE";
// Writes the locked case (migration 0043), so that on Galera the lock is certified: a change that relies on
// the case being open conflicts with a closure committed on another node instead of committing beside it.
constexpr absl::string_view kCertifyCaseLock =
    "UPDATE cases SET lock_version = lock_version + 1 WHERE id = ?";
// Likewise the consent a service referral cites, against its withdrawal on another node.
constexpr absl::string_view kCertifyConsentLock =
    "UPDATE consents SET lock_version = lock_version + 1 WHERE id = ?";
constexpr absl::string_view kChildBirthDate = "SELECT birth_date FROM children WHERE id = ?";
constexpr absl::string_view kSharedChild =
    "SELECT id, name, sex, birth_date, village_code FROM children WHERE id = ?";

constexpr absl::string_view kConsentColumns =
    "SELECT id, case_id, child_id, consenter_kind, guardian_relationship, recipient_org, purpose, "
    "valid_until, recorded_by, recorded_at, withdrawn_at, withdrawn_by, withdrawal_reason FROM consents ";
constexpr absl::string_view kInsertConsent =
    "INSERT INTO consents (id, child_id, case_id, consenter_kind, guardian_relationship, recipient_org, "
    "purpose, valid_until, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kWithdrawConsent =
    "UPDATE consents SET withdrawn_at = ?, withdrawn_by = ?, withdrawal_reason = ? WHERE id = ?";

constexpr absl::string_view kServiceReferralColumns =
    "SELECT id, case_id, child_id, village_code, from_org, to_org, service, due_date, note, status, "
    "consent_id, decision_reason, outcome, sent_at, decided_at, completed_at FROM service_referrals ";
constexpr absl::string_view kInsertServiceReferral =
    "INSERT INTO service_referrals (id, case_id, child_id, village_code, from_org, to_org, service, "
    "due_date, "
    "note, status, consent_id, sent_by, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kUpdateServiceReferral =
    "UPDATE service_referrals SET status = ?, decision_reason = ?, outcome = ?, "
    "decided_by = COALESCE(NULLIF(?, ''), decided_by), "
    "decided_at = ?, completed_at = ? WHERE id = ?";

constexpr absl::string_view kTransferColumns =
    "SELECT id, case_id, from_village, to_village, from_org, to_org, reason, status, requested_by, "
    "requested_at, decided_by, decided_at, decision_reason FROM county_transfers ";
constexpr absl::string_view kOpenTransferOfCase = "SELECT id FROM county_transfers WHERE open_case_id = ?";
constexpr absl::string_view kInsertTransfer =
    "INSERT INTO county_transfers (id, case_id, open_case_id, from_village, to_village, from_org, to_org, "
    "reason, status, requested_by, requested_at, to_address_detail, to_latitude, to_longitude) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// A decided transfer gives up its case's open slot (open_case_id NULL) and the child's new home, which it
// held only for the accept (migration 0052).
constexpr absl::string_view kDecideTransfer =
    "UPDATE county_transfers SET status = ?, open_case_id = NULL, decided_by = ?, decided_at = ?, "
    "decision_reason = ?, to_address_detail = '', to_latitude = NULL, to_longitude = NULL WHERE id = ?";
constexpr absl::string_view kTransferHome =
    "SELECT to_address_detail, to_latitude, to_longitude FROM county_transfers WHERE id = ?";
constexpr absl::string_view kMoveCase =
    "UPDATE cases SET village_code = ?, organisation_id = ?, caseworker_id = ?, updated_at = ? WHERE id = ?";

constexpr absl::string_view kReportColumns =
    "SELECT id, institution_kind, village_code, child_name, child_resident_id_sealed IS NOT NULL, harm_kind, "
    "description, urgency, status, filed_at, first_response_due_at, first_response_at, "
    "COALESCE(linked_referral_id, ''), COALESCE(linked_case_id, ''), feedback, resolved_at "
    "FROM mandatory_reports ";
constexpr absl::string_view kInsertReport =
    "INSERT INTO mandatory_reports (id, reporter_sealed, reporter_hash, institution_kind, village_code, "
    "child_name, child_resident_id_sealed, harm_kind, description, urgency, status, filed_at, "
    "first_response_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kUpdateReport =
    "UPDATE mandatory_reports SET status = ?, first_response_at = ?, responded_by = ?, "
    "linked_referral_id = ?, linked_case_id = ?, feedback = ?, resolved_at = ? WHERE id = ?";
constexpr absl::string_view kReporterSealed = "SELECT reporter_sealed FROM mandatory_reports WHERE id = ?";

constexpr absl::string_view kOutcomeColumns =
    "SELECT id, case_id, child_id, village_code, organisation_id, outcome, detail, follow_up_date, "
    "recorded_by, recorded_at FROM reintegration_outcomes ";
constexpr absl::string_view kInsertOutcome =
    "INSERT INTO reintegration_outcomes (id, case_id, child_id, village_code, organisation_id, outcome, "
    "detail, follow_up_date, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

// ---- mapping
// --------------------------------------------------------------------------------------------------

db::Value Any(bool unset) { return int64_t{unset ? 1 : 0}; }
db::Value OrNull(const std::string& text) { return text.empty() ? db::Value(db::Null{}) : db::Value(text); }

// An instant column into a Timestamp field only when it holds a time.
template <typename MutableField>
absl::Status ReadInstant(const db::Row& row, size_t column, MutableField field) {
  if (row.IsNull(column)) return absl::OkStatus();
  return ReadTimestamp(row, column, field());
}

bool IsOpen(v1::CaseStatus status) {
  return status == v1::CASE_STATUS_VERIFYING || status == v1::CASE_STATUS_ACTIVE;
}

absl::StatusOr<v1::Case> LockCase(db::Session& tx, const std::string& case_id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kCaseForUpdate, {case_id}));
  if (!row) return absl::NotFoundError("case not found");
  RETURN_IF_ERROR(tx.Execute(kCertifyCaseLock, {case_id}).status());
  v1::Case c;
  c.set_case_id(row->String(0));
  c.set_child_id(row->String(1));
  c.set_organisation_id(row->String(2));
  c.set_caseworker_id(row->String(3));
  c.set_status(static_cast<v1::CaseStatus>(row->Int(4)));
  c.set_village_code(row->String(5));
  return c;
}

absl::StatusOr<v1::Consent> ConsentFromRow(const db::Row& row) {
  v1::Consent c;
  c.set_consent_id(row.String(0));
  c.set_case_id(row.String(1));
  c.set_child_id(row.String(2));
  c.mutable_consenter()->set_kind(static_cast<v1::ConsenterKind>(row.Int(3)));
  c.mutable_consenter()->set_relationship(static_cast<v1::GuardianRelationship>(row.Int(4)));
  c.set_recipient_organisation_id(row.String(5));
  c.set_purpose(static_cast<v1::SharingPurpose>(row.Int(6)));
  c.set_valid_until(row.String(7));
  c.set_recorded_by(row.String(8));
  RETURN_IF_ERROR(ReadTimestamp(row, 9, c.mutable_recorded_at()));
  RETURN_IF_ERROR(ReadInstant(row, 10, [&] { return c.mutable_withdrawn_at(); }));
  c.set_withdrawn_by(row.String(11));
  c.set_withdrawal_reason(row.String(12));
  return c;
}

absl::StatusOr<std::vector<v1::Consent>> ConsentsFromRows(const db::Rows& rows) {
  std::vector<v1::Consent> out;
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(v1::Consent c, ConsentFromRow(row));
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<v1::ServiceReferral> ServiceReferralFromRow(const db::Row& row) {
  v1::ServiceReferral r;
  r.set_service_referral_id(row.String(0));
  r.set_case_id(row.String(1));
  r.set_child_id(row.String(2));
  r.set_village_code(row.String(3));
  r.set_from_organisation_id(row.String(4));
  r.set_to_organisation_id(row.String(5));
  r.set_service(static_cast<v1::SharingPurpose>(row.Int(6)));
  r.set_due_date(row.String(7));
  r.set_note(row.String(8));
  r.set_status(static_cast<v1::ServiceReferralStatus>(row.Int(9)));
  r.set_consent_id(row.String(10));
  r.set_decision_reason(row.String(11));
  r.set_outcome(row.String(12));
  RETURN_IF_ERROR(ReadTimestamp(row, 13, r.mutable_sent_at()));
  RETURN_IF_ERROR(ReadInstant(row, 14, [&] { return r.mutable_decided_at(); }));
  RETURN_IF_ERROR(ReadInstant(row, 15, [&] { return r.mutable_completed_at(); }));
  return r;
}

absl::StatusOr<v1::CountyTransfer> TransferFromRow(const db::Row& row) {
  v1::CountyTransfer t;
  t.set_transfer_id(row.String(0));
  t.set_case_id(row.String(1));
  t.set_from_village_code(row.String(2));
  t.set_to_village_code(row.String(3));
  t.set_from_organisation_id(row.String(4));
  t.set_to_organisation_id(row.String(5));
  t.set_reason(row.String(6));
  t.set_status(static_cast<v1::CountyTransferStatus>(row.Int(7)));
  t.set_requested_by(row.String(8));
  RETURN_IF_ERROR(ReadTimestamp(row, 9, t.mutable_requested_at()));
  t.set_decided_by(row.String(10));
  RETURN_IF_ERROR(ReadInstant(row, 11, [&] { return t.mutable_decided_at(); }));
  t.set_decision_reason(row.String(12));
  return t;
}

absl::StatusOr<v1::MandatoryReport> ReportFromRow(const db::Row& row) {
  v1::MandatoryReport r;
  r.set_report_id(row.String(0));
  r.set_institution_kind(static_cast<v1::InstitutionKind>(row.Int(1)));
  r.set_village_code(row.String(2));
  r.set_child_name(row.String(3));
  r.set_child_resident_id_given(row.Int(4) != 0);
  r.set_harm_kind(static_cast<v1::HarmKind>(row.Int(5)));
  r.set_description(row.String(6));
  r.set_urgency(static_cast<v1::ReportUrgency>(row.Int(7)));
  r.set_status(static_cast<v1::MandatoryReportStatus>(row.Int(8)));
  RETURN_IF_ERROR(ReadTimestamp(row, 9, r.mutable_filed_at()));
  RETURN_IF_ERROR(ReadTimestamp(row, 10, r.mutable_first_response_due_at()));
  RETURN_IF_ERROR(ReadInstant(row, 11, [&] { return r.mutable_first_response_at(); }));
  r.set_linked_referral_id(row.String(12));
  r.set_linked_case_id(row.String(13));
  r.set_feedback(row.String(14));
  RETURN_IF_ERROR(ReadInstant(row, 15, [&] { return r.mutable_resolved_at(); }));
  return r;
}

absl::StatusOr<v1::ReintegrationOutcome> OutcomeFromRow(const db::Row& row) {
  v1::ReintegrationOutcome o;
  o.set_outcome_id(row.String(0));
  o.set_case_id(row.String(1));
  o.set_child_id(row.String(2));
  o.set_village_code(row.String(3));
  o.set_organisation_id(row.String(4));
  o.set_outcome(static_cast<v1::ReintegrationOutcomeKind>(row.Int(5)));
  o.set_detail(row.String(6));
  o.set_follow_up_date(row.String(7));
  o.set_recorded_by(row.String(8));
  RETURN_IF_ERROR(ReadTimestamp(row, 9, o.mutable_recorded_at()));
  return o;
}

// Reads one row by id with `columns` (a "SELECT … FROM table " prefix), optionally locking it.
template <typename Record, typename FromRow>
absl::StatusOr<std::optional<Record>> ReadById(db::Session& s, absl::string_view columns,
                                               const std::string& id, bool for_update, FromRow from_row) {
  // The SQL is one of a few constant texts built from constants, never from a request.
  const std::string sql = absl::StrCat(columns, "WHERE id = ?", for_update ? " FOR UPDATE" : "");
  ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(sql, {id}));
  if (!row) return std::optional<Record>();
  ASSIGN_OR_RETURN(Record record, from_row(*row));
  return std::optional<Record>(std::move(record));
}

template <typename Record, typename FromRow>
absl::StatusOr<std::vector<Record>> ReadAll(const db::Rows& rows, FromRow from_row) {
  std::vector<Record> out;
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(Record record, from_row(row));
    out.push_back(std::move(record));
  }
  return out;
}

db::Value InstantOrNull(const google::protobuf::Timestamp& t, bool present) {
  return SqlTimestampOrNull(t, present);
}

// The sealed reporter: subject and organisation, one line each (neither holds a newline: both are
// identifiers the gateway vouched for).
std::string ReporterText(const Reporter& r) { return absl::StrCat(r.subject, "\n", r.organisation_id); }

}  // namespace

// ---- consents
// -------------------------------------------------------------------------------------------------

absl::StatusOr<v1::Consent> MariaDbCooperationStore::RecordConsent(const IdempotencyKey& key,
                                                                   const Actor& actor,
                                                                   const v1::Consent& draft,
                                                                   const Authorize<v1::Case>& authorize,
                                                                   const CheckConsenterFor& check) {
  return IdempotentTransaction<v1::Consent>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Consent> {
        ASSIGN_OR_RETURN(v1::Case c, LockCase(tx, draft.case_id()));
        RETURN_IF_ERROR(authorize(c));
        ASSIGN_OR_RETURN(std::optional<db::Row> child, tx.QueryOne(kChildBirthDate, {c.child_id()}));
        if (!child) return absl::InternalError("the case's child is missing");
        absl::CivilDay birth;
        if (!absl::ParseCivilTime(child->String(0), &birth)) return absl::DataLossError("birth date");
        RETURN_IF_ERROR(check(birth));
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(
            tx.Execute(kInsertConsent, {id, c.child_id(), c.case_id(), int64_t{draft.consenter().kind()},
                                        int64_t{draft.consenter().relationship()},
                                        draft.recipient_organisation_id(), int64_t{draft.purpose()},
                                        draft.valid_until(), actor.subject, ToSqlTimestamp(actor.at)})
                .status());
        ASSIGN_OR_RETURN(std::optional<v1::Consent> recorded,
                         ReadById<v1::Consent>(tx, kConsentColumns, id, false, ConsentFromRow));
        if (!recorded) return tx.WriteVanished("the recorded consent");
        return *std::move(recorded);
      });
}

absl::StatusOr<v1::Consent> MariaDbCooperationStore::WithdrawConsent(const IdempotencyKey& key,
                                                                     const Actor& actor,
                                                                     const std::string& consent_id,
                                                                     const std::string& reason,
                                                                     const Authorize<v1::Case>& authorize) {
  return IdempotentTransaction<v1::Consent>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Consent> {
        ASSIGN_OR_RETURN(std::optional<v1::Consent> consent,
                         ReadById<v1::Consent>(tx, kConsentColumns, consent_id, true, ConsentFromRow));
        if (!consent) return absl::NotFoundError("consent not found");
        ASSIGN_OR_RETURN(v1::Case c, LockCase(tx, consent->case_id()));
        if (absl::Status in_scope = authorize(c); !in_scope.ok()) {
          return absl::NotFoundError("consent not found");
        }
        if (consent->has_withdrawn_at()) return *std::move(consent);  // withdrawn once is withdrawn
        RETURN_IF_ERROR(
            tx.Execute(kWithdrawConsent, {ToSqlTimestamp(actor.at), actor.subject, reason, consent_id})
                .status());
        ASSIGN_OR_RETURN(std::optional<v1::Consent> withdrawn,
                         ReadById<v1::Consent>(tx, kConsentColumns, consent_id, false, ConsentFromRow));
        if (!withdrawn) return absl::InternalError("withdrawn consent is missing");
        return *std::move(withdrawn);
      });
}

absl::StatusOr<std::optional<v1::Consent>> MariaDbCooperationStore::GetConsent(
    const std::string& consent_id) {
  return db::ReadOne<std::optional<v1::Consent>>(pool_, [&](db::Session& s) {
    return ReadById<v1::Consent>(s, kConsentColumns, consent_id, false, ConsentFromRow);
  });
}

absl::StatusOr<std::vector<v1::Consent>> MariaDbCooperationStore::ListConsents(const std::string& child_id) {
  return db::ReadOne<std::vector<v1::Consent>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::Consent>> {
        ASSIGN_OR_RETURN(
            db::Rows rows,
            s.Query(absl::StrCat(kConsentColumns, "WHERE child_id = ? ORDER BY id LIMIT 500"), {child_id}));
        return ConsentsFromRows(rows);
      });
}

// ---- service referrals
// ----------------------------------------------------------------------------------------

absl::StatusOr<v1::ServiceReferral> MariaDbCooperationStore::CreateServiceReferral(
    const IdempotencyKey& key, const Actor& actor, const v1::ServiceReferral& draft,
    const Authorize<v1::Case>& authorize, const ChooseConsent& choose) {
  return IdempotentTransaction<v1::ServiceReferral>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ServiceReferral> {
        ASSIGN_OR_RETURN(v1::Case c, LockCase(tx, draft.case_id()));
        RETURN_IF_ERROR(authorize(c));
        if (!IsOpen(c.status())) {
          return absl::FailedPreconditionError("the case is closed: reopen it before referring the child");
        }
        // Locked: a withdrawal of one of these waits for this referral, or this referral sees it withdrawn.
        ASSIGN_OR_RETURN(db::Rows rows,
                         tx.Query(absl::StrCat(kConsentColumns,
                                               "WHERE child_id = ? AND recipient_org = ? AND purpose = ? "
                                               "ORDER BY id FOR UPDATE"),
                                  {c.child_id(), draft.to_organisation_id(), int64_t{draft.service()}}));
        ASSIGN_OR_RETURN(std::vector<v1::Consent> consents, ConsentsFromRows(rows));
        ASSIGN_OR_RETURN(v1::Consent consent, choose(consents));
        RETURN_IF_ERROR(tx.Execute(kCertifyConsentLock, {consent.consent_id()}).status());
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(tx.Execute(kInsertServiceReferral,
                                   {id, c.case_id(), c.child_id(), c.village_code(), c.organisation_id(),
                                    draft.to_organisation_id(), int64_t{draft.service()}, draft.due_date(),
                                    draft.note(), int64_t{v1::SERVICE_REFERRAL_STATUS_SENT},
                                    consent.consent_id(), actor.subject, ToSqlTimestamp(actor.at)})
                            .status());
        ASSIGN_OR_RETURN(
            std::optional<v1::ServiceReferral> sent,
            ReadById<v1::ServiceReferral>(tx, kServiceReferralColumns, id, false, ServiceReferralFromRow));
        if (!sent) return tx.WriteVanished("the sent referral");
        return *std::move(sent);
      });
}

absl::StatusOr<std::optional<v1::ServiceReferral>> MariaDbCooperationStore::GetServiceReferral(
    const std::string& id) {
  return db::ReadOne<std::optional<v1::ServiceReferral>>(pool_, [&](db::Session& s) {
    return ReadById<v1::ServiceReferral>(s, kServiceReferralColumns, id, false, ServiceReferralFromRow);
  });
}

absl::StatusOr<std::vector<v1::ServiceReferral>> MariaDbCooperationStore::ListServiceReferrals(
    const ServiceReferralFilter& f) {
  const bool any_status = f.status == v1::SERVICE_REFERRAL_STATUS_UNSPECIFIED;
  return db::ReadOne<std::vector<v1::ServiceReferral>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::ServiceReferral>> {
        db::Rows rows;
        if (f.direction == v1::DIRECTION_INCOMING) {
          ASSIGN_OR_RETURN(
              rows, s.Query(absl::StrCat(kServiceReferralColumns,
                                         "WHERE to_org = ? AND village_code >= ? AND "
                                         "village_code < ? AND id > ? AND (? OR status = ?) "
                                         "ORDER BY id LIMIT ?"),
                            {f.organisation_id, f.division_prefix, DivisionPrefixEnd(f.division_prefix),
                             f.after_id, Any(any_status), int64_t{f.status}, int64_t{f.limit}}));
        } else {
          ASSIGN_OR_RETURN(
              rows,
              s.Query(absl::StrCat(kServiceReferralColumns,
                                   "WHERE village_code >= ? AND village_code < ? AND id > ? "
                                   "AND (? = '' OR from_org = ?) AND (? OR status = ?) ORDER BY id LIMIT ?"),
                      {f.division_prefix, DivisionPrefixEnd(f.division_prefix), f.after_id, f.organisation_id,
                       f.organisation_id, Any(any_status), int64_t{f.status}, int64_t{f.limit}}));
        }
        return ReadAll<v1::ServiceReferral>(rows, ServiceReferralFromRow);
      });
}

absl::StatusOr<v1::ServiceReferral> MariaDbCooperationStore::ChangeServiceReferral(
    const IdempotencyKey& key, const Actor& actor, const std::string& id,
    const Authorize<v1::ServiceReferral>& authorize, const Rule<v1::ServiceReferral>& rule) {
  return IdempotentTransaction<v1::ServiceReferral>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ServiceReferral> {
        ASSIGN_OR_RETURN(
            std::optional<v1::ServiceReferral> current,
            ReadById<v1::ServiceReferral>(tx, kServiceReferralColumns, id, true, ServiceReferralFromRow));
        if (!current) return absl::NotFoundError("service referral not found");
        RETURN_IF_ERROR(authorize(*current));
        ASSIGN_OR_RETURN(v1::ServiceReferral next, rule(*current, actor));
        const bool deciding = !current->has_decided_at() && next.has_decided_at();
        RETURN_IF_ERROR(tx.Execute(kUpdateServiceReferral,
                                   {int64_t{next.status()}, next.decision_reason(), next.outcome(),
                                    deciding ? actor.subject : std::string(),
                                    InstantOrNull(next.decided_at(), next.has_decided_at()),
                                    InstantOrNull(next.completed_at(), next.has_completed_at()), id})
                            .status());
        return next;
      });
}

absl::StatusOr<std::optional<v1::SharedChild>> MariaDbCooperationStore::GetSharedChild(
    const std::string& child_id) {
  return db::ReadOne<std::optional<v1::SharedChild>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::optional<v1::SharedChild>> {
        ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kSharedChild, {child_id}));
        if (!row) return std::optional<v1::SharedChild>();
        v1::SharedChild c;
        c.set_child_id(row->String(0));
        c.set_name(row->String(1));
        c.set_sex(static_cast<v1::Sex>(row->Int(2)));
        c.set_birth_date(row->String(3));
        c.set_village_code(row->String(4));
        return std::optional<v1::SharedChild>(std::move(c));
      });
}

// ---- county transfers
// -----------------------------------------------------------------------------------------

absl::StatusOr<v1::CountyTransfer> MariaDbCooperationStore::RequestCountyTransfer(
    const IdempotencyKey& key, const Actor& actor, const v1::CountyTransfer& draft,
    const v1::Household& to_home, const Authorize<v1::Case>& authorize) {
  return IdempotentTransaction<v1::CountyTransfer>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::CountyTransfer> {
        ASSIGN_OR_RETURN(v1::Case c, LockCase(tx, draft.case_id()));
        RETURN_IF_ERROR(authorize(c));
        if (!IsOpen(c.status())) {
          return absl::FailedPreconditionError("the case is closed: reopen it before transferring it");
        }
        RETURN_IF_ERROR(CheckTransferDestination(c.village_code(), draft.to_village_code()));
        // Under the case's lock, so two requests for one case cannot both pass (the unique key backs it).
        ASSIGN_OR_RETURN(std::optional<db::Row> open, tx.QueryOne(kOpenTransferOfCase, {c.case_id()}));
        if (open) {
          return absl::FailedPreconditionError(
              "the case has an open transfer request: cancel it or wait for the answer");
        }
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(tx.Execute(kInsertTransfer,
                                   {id, c.case_id(), c.case_id(), c.village_code(), draft.to_village_code(),
                                    c.organisation_id(), draft.to_organisation_id(), draft.reason(),
                                    int64_t{v1::COUNTY_TRANSFER_STATUS_REQUESTED}, actor.subject,
                                    ToSqlTimestamp(actor.at), to_home.address_detail(),
                                    CoordinateValue(to_home.has_latitude(), to_home.latitude()),
                                    CoordinateValue(to_home.has_longitude(), to_home.longitude())})
                            .status());
        ASSIGN_OR_RETURN(std::optional<v1::CountyTransfer> requested,
                         ReadById<v1::CountyTransfer>(tx, kTransferColumns, id, false, TransferFromRow));
        if (!requested) return tx.WriteVanished("the requested transfer");
        return *std::move(requested);
      });
}

absl::StatusOr<v1::CountyTransfer> MariaDbCooperationStore::ChangeCountyTransfer(
    const IdempotencyKey& key, const Actor& actor, const std::string& id,
    const Authorize<v1::CountyTransfer>& authorize, const Rule<v1::CountyTransfer>& rule) {
  return IdempotentTransaction<v1::CountyTransfer>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::CountyTransfer> {
        ASSIGN_OR_RETURN(std::optional<v1::CountyTransfer> current,
                         ReadById<v1::CountyTransfer>(tx, kTransferColumns, id, true, TransferFromRow));
        if (!current) return absl::NotFoundError("transfer not found");
        RETURN_IF_ERROR(authorize(*current));
        ASSIGN_OR_RETURN(v1::CountyTransfer next, rule(*current, actor));
        const std::string now = ToSqlTimestamp(actor.at);
        // Where the child arrives: the village, and the address and coordinates the sending side gave (the
        // decision clears them from the request). Without them the old county's address and coordinates
        // would send a visitor astray: the child arrives with none, and the receiving county records them
        // (MoveHousehold).
        v1::Household arrived;
        arrived.set_village_code(next.to_village_code());
        if (next.status() == v1::COUNTY_TRANSFER_STATUS_ACCEPTED) {
          ASSIGN_OR_RETURN(std::optional<db::Row> home, tx.QueryOne(kTransferHome, {id}));
          if (home) {
            arrived.set_address_detail(home->String(0));
            ReadCoordinates(*home, 1, arrived);
          }
        }
        RETURN_IF_ERROR(tx.Execute(kDecideTransfer, {int64_t{next.status()}, next.decided_by(), now,
                                                     next.decision_reason(), id})
                            .status());
        if (next.status() != v1::COUNTY_TRANSFER_STATUS_ACCEPTED) return next;

        // Lock order: the transfer, then its case (a request locks the case and only reads transfers).
        ASSIGN_OR_RETURN(v1::Case c, LockCase(tx, next.case_id()));
        if (!IsOpen(c.status())) {
          return absl::FailedPreconditionError("the case was closed after the request: it cannot move");
        }
        const std::string to_org = ReceivingOrganisation(next, actor);
        // The statistics' counts move with the child and, if it is the child's current one, the case
        // (migration 0045): read before the move, the case under its lock and the child locked here.
        CountChanges counts;
        ASSIGN_OR_RETURN(std::optional<CountedCase> counted, CountedCaseOf(tx, c.case_id()));
        if (counted)
          counts.ChangeCase(*counted, {next.to_village_code(), counted->status, counted->risk_level});
        ASSIGN_OR_RETURN(std::optional<ChildHome> home, LockChildHome(tx, c.child_id()));
        if (!home) return absl::InternalError("the case's child is missing");
        RETURN_IF_ERROR(
            tx.Execute(kMoveCase, {next.to_village_code(), to_org, actor.subject, now, c.case_id()})
                .status());
        // The search's category rows and the counts move with the child.
        RETURN_IF_ERROR(MoveChildHome(tx, c.child_id(), *home, arrived, actor.at, counts));
        RETURN_IF_ERROR(MoveCooperationRecords(tx, c.case_id(), to_org, next.to_village_code()));
        RETURN_IF_ERROR(
            tx.Execute(kInsertCaseHistory,
                       {ids_.Next(), c.case_id(), now, actor.subject, std::string("county_moved"),
                        int64_t{c.status()}, int64_t{c.status()},
                        absl::StrCat("from ", c.village_code(), " (", c.organisation_id(), ") to ",
                                     next.to_village_code(), " (", to_org, "), transfer ", id)})
                .status());
        RETURN_IF_ERROR(ApplyCountChanges(tx, counts, ids_.Next()));
        v1::CaseMovedCounty event;
        event.set_case_id(c.case_id());
        event.set_child_id(c.child_id());
        event.set_from_village_code(c.village_code());
        event.set_to_village_code(next.to_village_code());
        event.set_from_organisation_id(c.organisation_id());
        event.set_to_organisation_id(to_org);
        event.set_transfer_id(id);
        *event.mutable_at() = ToProtoTimestamp(actor.at);
        RETURN_IF_ERROR(outbox_.Append(tx, c.case_id(), event, actor.at));
        return next;
      });
}

absl::StatusOr<std::vector<v1::CountyTransfer>> MariaDbCooperationStore::ListCountyTransfers(
    const CountyTransferFilter& f) {
  const bool incoming = f.direction == v1::DIRECTION_INCOMING;
  const bool any_status = f.status == v1::COUNTY_TRANSFER_STATUS_UNSPECIFIED;
  return db::ReadOne<std::vector<v1::CountyTransfer>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::CountyTransfer>> {
        const std::string sql =
            incoming ? absl::StrCat(kTransferColumns,
                                    "WHERE to_village >= ? AND to_village < ? AND id > ? "
                                    "AND (? = '' OR to_org = ?) AND (? OR status = ?) ORDER BY id LIMIT ?")
                     : absl::StrCat(kTransferColumns,
                                    "WHERE from_village >= ? AND from_village < ? AND id > ? "
                                    "AND (? = '' OR from_org = ?) AND (? OR status = ?) ORDER BY id LIMIT ?");
        ASSIGN_OR_RETURN(db::Rows rows, s.Query(sql, {f.division_prefix, DivisionPrefixEnd(f.division_prefix),
                                                      f.after_id, f.organisation_id, f.organisation_id,
                                                      Any(any_status), int64_t{f.status}, int64_t{f.limit}}));
        return ReadAll<v1::CountyTransfer>(rows, TransferFromRow);
      });
}

// ---- mandatory reports
// ----------------------------------------------------------------------------------------

absl::StatusOr<v1::MandatoryReport> MariaDbCooperationStore::FileMandatoryReport(
    const IdempotencyKey& key, const Actor& actor, const v1::MandatoryReport& draft,
    const std::string& child_resident_id, const ReportDeadlines& deadlines) {
  return IdempotentTransaction<v1::MandatoryReport>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::MandatoryReport> {
        const std::string id = ids_.Next();
        const std::string sealed_reporter =
            crypto_.Seal(ReporterText({actor.subject, actor.organisation_id}), id);
        const absl::Time due = FirstResponseDue(actor.at, draft.urgency(), deadlines);
        RETURN_IF_ERROR(
            tx.Execute(
                  kInsertReport,
                  {id, sealed_reporter, crypto_.LookupHash(actor.subject), int64_t{draft.institution_kind()},
                   draft.village_code(), draft.child_name(),
                   child_resident_id.empty() ? db::Value(db::Null{})
                                             : db::Value(crypto_.Seal(child_resident_id, id)),
                   int64_t{draft.harm_kind()}, draft.description(), int64_t{draft.urgency()},
                   int64_t{v1::MANDATORY_REPORT_STATUS_FILED}, ToSqlTimestamp(actor.at), ToSqlTimestamp(due)})
                .status());
        ASSIGN_OR_RETURN(std::optional<v1::MandatoryReport> filed,
                         ReadById<v1::MandatoryReport>(tx, kReportColumns, id, false, ReportFromRow));
        if (!filed) return tx.WriteVanished("the filed report");
        return *std::move(filed);
      });
}

absl::StatusOr<std::optional<v1::MandatoryReport>> MariaDbCooperationStore::GetMandatoryReport(
    const std::string& id) {
  return db::ReadOne<std::optional<v1::MandatoryReport>>(pool_, [&](db::Session& s) {
    return ReadById<v1::MandatoryReport>(s, kReportColumns, id, false, ReportFromRow);
  });
}

absl::StatusOr<v1::MandatoryReport> MariaDbCooperationStore::ChangeMandatoryReport(
    const IdempotencyKey& key, const Actor& actor, const std::string& id,
    const Authorize<v1::MandatoryReport>& authorize, const Rule<v1::MandatoryReport>& rule) {
  return IdempotentTransaction<v1::MandatoryReport>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::MandatoryReport> {
        ASSIGN_OR_RETURN(std::optional<v1::MandatoryReport> current,
                         ReadById<v1::MandatoryReport>(tx, kReportColumns, id, true, ReportFromRow));
        if (!current) return absl::NotFoundError("report not found");
        RETURN_IF_ERROR(authorize(*current));
        ASSIGN_OR_RETURN(v1::MandatoryReport next, rule(*current, actor));
        RETURN_IF_ERROR(
            tx.Execute(kUpdateReport,
                       {int64_t{next.status()},
                        InstantOrNull(next.first_response_at(), next.has_first_response_at()), actor.subject,
                        OrNull(next.linked_referral_id()), OrNull(next.linked_case_id()), next.feedback(),
                        InstantOrNull(next.resolved_at(), next.has_resolved_at()), id})
                .status());
        return next;
      });
}

absl::StatusOr<std::vector<v1::MandatoryReport>> MariaDbCooperationStore::ListOverdueMandatoryReports(
    const std::string& prefix, absl::Time now, int limit) {
  return db::ReadOne<std::vector<v1::MandatoryReport>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::MandatoryReport>> {
        ASSIGN_OR_RETURN(
            db::Rows rows,
            s.Query(absl::StrCat(kReportColumns,
                                 "WHERE status = ? AND first_response_due_at < ? AND village_code >= ? "
                                 "AND village_code < ? ORDER BY first_response_due_at, id LIMIT ?"),
                    {int64_t{v1::MANDATORY_REPORT_STATUS_FILED}, ToSqlTimestamp(now), prefix,
                     DivisionPrefixEnd(prefix), int64_t{limit}}));
        return ReadAll<v1::MandatoryReport>(rows, ReportFromRow);
      });
}

absl::StatusOr<std::vector<v1::MandatoryReport>> MariaDbCooperationStore::ListReportsFiledBy(
    const std::string& subject, const std::string& after_id, int limit) {
  return db::ReadOne<std::vector<v1::MandatoryReport>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::MandatoryReport>> {
        ASSIGN_OR_RETURN(
            db::Rows rows,
            s.Query(absl::StrCat(kReportColumns, "WHERE reporter_hash = ? AND id > ? ORDER BY id LIMIT ?"),
                    {crypto_.LookupHash(subject), after_id, int64_t{limit}}));
        return ReadAll<v1::MandatoryReport>(rows, ReportFromRow);
      });
}

absl::StatusOr<std::optional<Reporter>> MariaDbCooperationStore::UnsealReporter(
    const std::string& report_id) {
  return db::ReadOne<std::optional<Reporter>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::optional<Reporter>> {
        ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kReporterSealed, {report_id}));
        if (!row) return std::optional<Reporter>();
        ASSIGN_OR_RETURN(std::string text, crypto_.Open(row->String(0), report_id));
        std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('\n', 1));
        if (parts.size() != 2) return absl::DataLossError("unreadable sealed reporter");
        return std::optional<Reporter>(Reporter{parts[0], parts[1]});
      });
}

// ---- reintegration
// --------------------------------------------------------------------------------------------

absl::StatusOr<v1::ReintegrationOutcome> MariaDbCooperationStore::RecordReintegrationOutcome(
    const IdempotencyKey& key, const Actor& actor, const v1::ReintegrationOutcome& draft,
    const Authorize<v1::Case>& authorize) {
  return IdempotentTransaction<v1::ReintegrationOutcome>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ReintegrationOutcome> {
        ASSIGN_OR_RETURN(v1::Case c, LockCase(tx, draft.case_id()));
        RETURN_IF_ERROR(authorize(c));
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(
            tx.Execute(kInsertOutcome, {id, c.case_id(), c.child_id(), c.village_code(), c.organisation_id(),
                                        int64_t{draft.outcome()}, draft.detail(), draft.follow_up_date(),
                                        actor.subject, ToSqlTimestamp(actor.at)})
                .status());
        ASSIGN_OR_RETURN(std::optional<v1::ReintegrationOutcome> recorded,
                         ReadById<v1::ReintegrationOutcome>(tx, kOutcomeColumns, id, false, OutcomeFromRow));
        if (!recorded) return tx.WriteVanished("the recorded outcome");
        return *std::move(recorded);
      });
}

absl::StatusOr<std::vector<v1::ReintegrationOutcome>> MariaDbCooperationStore::ListReintegrationFollowUpsDue(
    const std::string& prefix, const std::string& organisation_id, const std::string& due_by, int limit) {
  return db::ReadOne<std::vector<v1::ReintegrationOutcome>>(
      pool_, [&](db::Session& s) -> absl::StatusOr<std::vector<v1::ReintegrationOutcome>> {
        // Only each case's newest outcome counts: a later one replaced the earlier follow-up date.
        ASSIGN_OR_RETURN(
            db::Rows rows,
            s.Query(
                absl::StrCat(kOutcomeColumns,
                             "o WHERE o.follow_up_date <= ? AND o.village_code >= ? AND o.village_code < ? "
                             "AND (? = '' OR o.organisation_id = ?) AND NOT EXISTS (SELECT 1 FROM "
                             "reintegration_outcomes n WHERE n.case_id = o.case_id AND n.id > o.id) "
                             "ORDER BY o.follow_up_date, o.id LIMIT ?"),
                {due_by, prefix, DivisionPrefixEnd(prefix), organisation_id, organisation_id,
                 int64_t{limit}}));
        return ReadAll<v1::ReintegrationOutcome>(rows, OutcomeFromRow);
      });
}

}  // namespace shouhu::registry
