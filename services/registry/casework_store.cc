#include "services/registry/casework_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/registry/assessment_scoring.h"
#include "services/registry/case_lifecycle.h"
#include "services/registry/case_plan_rules.h"
#include "services/registry/visit_follow_ups.h"
#include "shouhu/registry/storage/v1/casework_details.pb.h"
#include "shouhu/registry/v1/casework_events.pb.h"
#include "shouhu/registry/v1/cooperation_service.pb.h"

namespace shouhu::registry {
namespace {

namespace kept = ::shouhu::registry::storage::v1;  // what the blob columns hold

// ---- SQL
// ----------------------------------------------------------------------------------------------------

// Serialises two publications of one code on the code's index range (a gap lock when there is none yet).
// Writes the case a change locked (migration 0043), so that on Galera the lock is certified: work that relies
// on the case being open conflicts with a closure committed on another node instead of committing beside it.
constexpr absl::string_view kCertifyCaseLock =
    "UPDATE cases SET lock_version = lock_version + 1 WHERE id = ?";
constexpr absl::string_view kLastInstrumentVersion =
    "SELECT COALESCE(MAX(version), 0) FROM instruments WHERE code = ? FOR UPDATE";
constexpr absl::string_view kInsertInstrument =
    "INSERT INTO instruments (id, code, version, title, definition, published_by, published_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kInstrumentById =
    "SELECT id, code, version, title, definition, published_by, published_at FROM instruments WHERE id = ?";

constexpr absl::string_view kInsertAssessment =
    "INSERT INTO assessments (id, case_id, instrument_id, answers, total_score, grade, emergency_override, "
    "note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kAssessmentById =
    "SELECT a.id, a.case_id, a.instrument_id, i.code, i.version, a.answers, a.total_score, a.grade, "
    "a.emergency_override, a.note, a.created_at FROM assessments a JOIN instruments i ON i.id = "
    "a.instrument_id "
    "WHERE a.id = ?";

constexpr absl::string_view kInsertReview =
    "INSERT INTO casework_reviews (item_id, kind, case_id, state, author, updated_at) VALUES (?, ?, ?, ?, ?, "
    "?)";
constexpr absl::string_view kReviewById =
    "SELECT item_id, kind, case_id, state, author, submitted_by, township_checked_by, county_confirmed_by, "
    "returned_by, return_reason, updated_at FROM casework_reviews WHERE item_id = ?";
constexpr absl::string_view kReviewByIdForUpdate =
    "SELECT item_id, kind, case_id, state, author, submitted_by, township_checked_by, county_confirmed_by, "
    "returned_by, return_reason, updated_at FROM casework_reviews WHERE item_id = ? FOR UPDATE";
constexpr absl::string_view kUpdateReview =
    "UPDATE casework_reviews SET state = ?, submitted_by = ?, township_checked_by = ?, county_confirmed_by = "
    "?, "
    "returned_by = ?, return_reason = ?, updated_at = ? WHERE item_id = ?";
constexpr absl::string_view kInsertReviewStep =
    "INSERT INTO casework_review_steps (id, item_id, at, actor, from_state, to_state, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kReviewSteps =
    "SELECT at, actor, from_state, to_state, detail FROM casework_review_steps WHERE item_id = ? ORDER BY id";

// The case row is locked while a plan is written, so versions do not race.
constexpr absl::string_view kLastPlanVersion =
    "SELECT COALESCE(MAX(version), 0) FROM case_plans WHERE case_id = ?";
constexpr absl::string_view kInsertPlan =
    "INSERT INTO case_plans (id, case_id, version, goals, created_at) VALUES (?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertPlanItem =
    "INSERT INTO plan_items (id, plan_id, case_id, description, owner_id, due_date, due_at, status, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kPlanById =
    "SELECT id, case_id, version, goals, is_current, created_at FROM case_plans WHERE id = ?";
constexpr absl::string_view kCurrentPlanOfCase =
    "SELECT id FROM case_plans WHERE case_id = ? AND is_current = 1";
constexpr absl::string_view kPlanVersions =
    "SELECT (SELECT version FROM case_plans WHERE id = ?), (SELECT version FROM case_plans WHERE case_id = ? "
    "AND is_current = 1)";
constexpr absl::string_view kPlanItems =
    "SELECT id, description, owner_id, due_date, status FROM plan_items WHERE plan_id = ? ORDER BY id";
constexpr absl::string_view kPlanItemForUpdate =
    "SELECT pi.id, pi.description, pi.owner_id, pi.due_date, pi.status, pi.case_id, cp.is_current "
    "FROM plan_items pi JOIN case_plans cp ON cp.id = pi.plan_id WHERE pi.id = ? FOR UPDATE";
constexpr absl::string_view kUpdatePlanItemStatus =
    "UPDATE plan_items SET status = ?, updated_at = ? WHERE id = ?";
constexpr absl::string_view kRetireCurrentPlan =
    "UPDATE case_plans SET is_current = 0 WHERE case_id = ? AND is_current = 1";
constexpr absl::string_view kMakePlanCurrent = "UPDATE case_plans SET is_current = 1 WHERE id = ?";

constexpr absl::string_view kInsertClosure =
    "INSERT INTO closure_requests (id, case_id, reason, created_at) VALUES (?, ?, ?, ?)";
constexpr absl::string_view kClosureById =
    "SELECT id, case_id, reason, created_at FROM closure_requests WHERE id = ?";

constexpr absl::string_view kLastConfirmedAssessment =
    "SELECT last_assessment_id FROM assessment_schedule WHERE case_id = ?";
constexpr absl::string_view kUpsertSchedule =
    "INSERT INTO assessment_schedule (case_id, next_due_date, next_due_at, last_assessment_id, updated_at) "
    "VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE next_due_date = VALUES(next_due_date), "
    "next_due_at = VALUES(next_due_at), last_assessment_id = VALUES(last_assessment_id), "
    "updated_at = VALUES(updated_at)";

// When a case's next assessment is due: its schedule's, or `initial_days` after it opened.
#define SHOUHU_ASSESSMENT_DUE "COALESCE(s.next_due_at, DATE_ADD(c.opened_at, INTERVAL ? DAY))"
constexpr absl::string_view kOverdueAssessments =
    "SELECT c.id, c.village_code, c.organisation_id, c.caseworker_id, c.risk_level, " SHOUHU_ASSESSMENT_DUE
    ", COALESCE(s.last_assessment_id, '') "
    "FROM cases c LEFT JOIN assessment_schedule s ON s.case_id = c.id "
    "WHERE c.village_code >= ? AND c.village_code < ? AND c.status IN (?, ?) AND (? OR c.organisation_id = "
    "?) "
    "AND c.id > ? AND " SHOUHU_ASSESSMENT_DUE " <= ? ORDER BY c.id LIMIT ?";
constexpr absl::string_view kAssessmentDueTasks =
    "SELECT c.id, c.village_code, c.caseworker_id, " SHOUHU_ASSESSMENT_DUE
    " FROM cases c LEFT JOIN assessment_schedule s ON s.case_id = c.id "
    "WHERE c.village_code >= ? AND c.village_code < ? AND c.status IN (?, ?) AND (? OR c.organisation_id = "
    "?) "
    "AND (? OR c.caseworker_id = ?) AND " SHOUHU_ASSESSMENT_DUE " <= ? AND (" SHOUHU_ASSESSMENT_DUE
    " > ? OR (" SHOUHU_ASSESSMENT_DUE " = ? AND c.id > ?)) ORDER BY 4, c.id LIMIT ?";
#undef SHOUHU_ASSESSMENT_DUE
constexpr absl::string_view kPlanItemTasks =
    "SELECT pi.id, c.id, c.village_code, pi.owner_id, pi.due_at FROM plan_items pi "
    "JOIN case_plans cp ON cp.id = pi.plan_id AND cp.is_current = 1 JOIN cases c ON c.id = pi.case_id "
    "WHERE pi.status IN (?, ?) AND pi.due_at <= ? AND (pi.due_at > ? OR (pi.due_at = ? AND pi.id > ?)) "
    "AND c.village_code >= ? AND c.village_code < ? AND c.status IN (?, ?) AND (? OR c.organisation_id = ?) "
    "AND (? OR pi.owner_id = ? OR c.caseworker_id = ?) ORDER BY pi.due_at, pi.id LIMIT ?";
// A review is due `review_within` after it reached its state: the bounds come shifted by that much.
constexpr absl::string_view kReviewTasks =
    "SELECT r.item_id, c.id, c.village_code, r.submitted_by, r.updated_at FROM casework_reviews r "
    "JOIN cases c ON c.id = r.case_id "
    "WHERE r.state = ? AND r.updated_at <= ? AND (r.updated_at > ? OR (r.updated_at = ? AND r.item_id > ?)) "
    "AND c.village_code >= ? AND c.village_code < ? AND (? OR c.organisation_id = ?) "
    "AND (? OR r.submitted_by = ?) ORDER BY r.updated_at, r.item_id LIMIT ?";
// A follow-up is acted on where its case is, unless it names its own place (migration 0053: a missing
// check-out, by the organisation that sent the visitor, in the village of the visit); the case's caseworker
// is its assignee only while the case is with that organisation.
constexpr absl::string_view kFollowUpTasks =
    "SELECT id, case_id, village_code, assignee, due_at FROM ("
    "SELECT f.id, f.due_at, c.id AS case_id, COALESCE(f.village_code, c.village_code) AS village_code, "
    "COALESCE(f.organisation_id, c.organisation_id) AS organisation_id, "
    "IF(f.organisation_id IS NULL OR f.organisation_id = c.organisation_id, c.caseworker_id, '') AS assignee "
    "FROM visit_follow_ups f JOIN cases c ON c.id = f.case_id "
    "WHERE f.done = 0 AND f.kind = ? AND f.due_at <= ? AND (f.due_at > ? OR (f.due_at = ? AND f.id > ?))) t "
    "WHERE village_code >= ? AND village_code < ? AND (? OR organisation_id = ?) "
    "AND (? OR assignee = ?) ORDER BY due_at, id LIMIT ?";

// Open service referrals out (casework-b's CaseCooperationService) by their due day; the sending side's
// organisation and the case's caseworker are whose task it is.
constexpr absl::string_view kServiceReferralTasks =
    "SELECT r.id, r.case_id, r.village_code, c.caseworker_id, r.due_date FROM service_referrals r "
    "JOIN cases c ON c.id = r.case_id "
    "WHERE r.status IN (?, ?) AND r.due_date <= ? AND (r.due_date > ? OR (r.due_date = ? AND r.id > ?)) "
    "AND r.village_code >= ? AND r.village_code < ? AND (? OR r.from_org = ?) "
    "AND (? OR c.caseworker_id = ?) ORDER BY r.due_date, r.id LIMIT ?";

// A follow-up without a place of its own (VisitFollowUp's empty) stores NULL: the case's, as rows before
// 0053.
constexpr absl::string_view kRecordFollowUp =
    "INSERT INTO visit_follow_ups (id, kind, source_ref, case_id, due_at, created_at, village_code, "
    "organisation_id) VALUES (?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, '')) ON DUPLICATE KEY UPDATE id = "
    "id";
constexpr absl::string_view kFollowUpForUpdate =
    "SELECT id, kind, case_id, due_at, done, village_code, organisation_id FROM visit_follow_ups WHERE id = "
    "? "
    "FOR UPDATE";
constexpr absl::string_view kCompleteFollowUp =
    "UPDATE visit_follow_ups SET done = 1, done_by = ?, done_note = ? WHERE id = ?";

// ---- mapping
// --------------------------------------------------------------------------------------------------

db::Value Flag(bool set) { return int64_t{set ? 1 : 0}; }

// An instant as a bound in SQL: the page's "from the start" is the far past, which DATETIME cannot hold.
std::string SqlBound(absl::Time t) {
  static const absl::Time kFloor = absl::FromCivil(absl::CivilSecond(1970, 1, 1), absl::UTCTimeZone());
  static const absl::Time kCeiling = absl::FromCivil(absl::CivilSecond(9999, 1, 1), absl::UTCTimeZone());
  return ToSqlTimestamp(std::clamp(t, kFloor, kCeiling));
}

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

absl::Status ReadInstant(const db::Row& row, size_t column, google::protobuf::Timestamp* out) {
  return ReadTimestamp(row, column, out);
}

std::string DefinitionOf(const v1::Instrument& instrument) {
  kept::InstrumentDefinition d;
  for (const auto& domain : instrument.domains()) {
    auto* dd = d.add_domains();
    dd->set_domain_id(domain.domain_id());
    dd->set_title(domain.title());
    for (const auto& q : domain.questions()) {
      auto* qq = dd->add_questions();
      qq->set_question_id(q.question_id());
      qq->set_text(q.text());
      qq->set_emergency_override(q.emergency_override());
      for (const auto& o : q.options()) {
        auto* oo = qq->add_options();
        oo->set_score(o.score());
        oo->set_label(o.label());
      }
    }
  }
  for (const auto& band : instrument.bands()) {
    auto* b = d.add_bands();
    b->set_risk_level(band.risk_level());
    b->set_min_total(band.min_total());
  }
  return d.SerializeAsString();
}

absl::Status ReadDefinition(const std::string& bytes, v1::Instrument& instrument) {
  kept::InstrumentDefinition d;
  if (!d.ParseFromString(bytes)) return absl::DataLossError("unreadable instrument definition");
  for (const auto& dd : d.domains()) {
    auto* domain = instrument.add_domains();
    domain->set_domain_id(dd.domain_id());
    domain->set_title(dd.title());
    for (const auto& qq : dd.questions()) {
      auto* q = domain->add_questions();
      q->set_question_id(qq.question_id());
      q->set_text(qq.text());
      q->set_emergency_override(qq.emergency_override());
      for (const auto& oo : qq.options()) {
        auto* o = q->add_options();
        o->set_score(oo.score());
        o->set_label(oo.label());
      }
    }
  }
  for (const auto& b : d.bands()) {
    auto* band = instrument.add_bands();
    band->set_risk_level(static_cast<v1::RiskLevel>(b.risk_level()));
    band->set_min_total(b.min_total());
  }
  return absl::OkStatus();
}

v1::Review ReviewFromRow(const db::Row& row) {
  v1::Review r;
  r.set_item_id(row.String(0));
  r.set_kind(static_cast<v1::ReviewKind>(row.Int(1)));
  r.set_case_id(row.String(2));
  r.set_state(static_cast<v1::ReviewState>(row.Int(3)));
  r.set_author(row.String(4));
  r.set_submitted_by(row.String(5));
  r.set_township_checked_by(row.String(6));
  r.set_county_confirmed_by(row.String(7));
  r.set_returned_by(row.String(8));
  r.set_return_reason(row.String(9));
  (void)ReadTimestamp(row, 10, r.mutable_updated_at());
  return r;
}

v1::PlanItem PlanItemFromRow(const db::Row& row) {
  v1::PlanItem item;
  item.set_item_id(row.String(0));
  item.set_description(row.String(1));
  item.set_owner_id(row.String(2));
  item.set_due_date(row.String(3));
  item.set_status(static_cast<v1::PlanItemStatus>(row.Int(4)));
  return item;
}

bool IsOpen(const v1::Case& c) {
  return c.status() == v1::CASE_STATUS_VERIFYING || c.status() == v1::CASE_STATUS_ACTIVE;
}

absl::Status RequireOpen(const v1::Case& c) {
  if (IsOpen(c)) return absl::OkStatus();
  return absl::FailedPreconditionError("the case is closed");
}

v1::Task MakeTask(v1::TaskKind kind, const std::string& record_id, const std::string& case_id,
                  const std::string& village, const std::string& assignee, absl::Time due) {
  v1::Task task;
  task.set_task_id(TaskId(kind, record_id));
  task.set_kind(kind);
  task.set_record_id(record_id);
  task.set_case_id(case_id);
  task.set_village_code(village);
  task.set_assignee(assignee);
  *task.mutable_due_at() = ToProtoTimestamp(due);
  return task;
}

absl::StatusOr<absl::Time> DueOf(const db::Row& row, size_t column) {
  return FromSqlTimestamp(row.String(column));
}

// ---- task sources
// ---------------------------------------------------------------------------------------------

// Assessments due on the caller's cases (a caseworker), or on every open case of the jurisdiction (a county).
class AssessmentDueSource final : public TaskSource {
 public:
  explicit AssessmentDueSource(int initial_days) : initial_days_(initial_days) {}
  absl::StatusOr<std::vector<v1::Task>> Due(db::Session& s, const TaskQuery& q) const override {
    std::vector<v1::Task> tasks;
    if (q.audience == v1::TASK_AUDIENCE_SUPERVISOR) return tasks;
    const bool mine = q.audience == v1::TASK_AUDIENCE_CASEWORKER;
    const int64_t days = initial_days_;
    const std::string after = SqlBound(q.after_due);
    const std::vector<db::Value> params = {days,
                                           q.division_prefix,
                                           DivisionPrefixEnd(q.division_prefix),
                                           int64_t{v1::CASE_STATUS_VERIFYING},
                                           int64_t{v1::CASE_STATUS_ACTIVE},
                                           Flag(q.organisation_id.empty()),
                                           q.organisation_id,
                                           Flag(!mine),
                                           q.subject,
                                           days,
                                           SqlBound(q.horizon_end),
                                           days,
                                           after,
                                           days,
                                           after,
                                           RecordIdAfter(q, v1::TASK_KIND_ASSESSMENT_DUE),
                                           int64_t{q.limit}};
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kAssessmentDueTasks, params));
    for (const auto& row : rows) {
      ASSIGN_OR_RETURN(absl::Time due, DueOf(row, 3));
      tasks.push_back(MakeTask(v1::TASK_KIND_ASSESSMENT_DUE, row.String(0), row.String(0), row.String(1),
                               row.String(2), due));
    }
    return tasks;
  }

 private:
  const int initial_days_;
};

// Open items of current plans: those the caller owns or whose case is theirs, or every one of the county.
class PlanItemDueSource final : public TaskSource {
 public:
  absl::StatusOr<std::vector<v1::Task>> Due(db::Session& s, const TaskQuery& q) const override {
    std::vector<v1::Task> tasks;
    if (q.audience == v1::TASK_AUDIENCE_SUPERVISOR) return tasks;
    const bool mine = q.audience == v1::TASK_AUDIENCE_CASEWORKER;
    const std::string after = SqlBound(q.after_due);
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query(kPlanItemTasks,
                {int64_t{v1::PLAN_ITEM_STATUS_PLANNED}, int64_t{v1::PLAN_ITEM_STATUS_IN_PROGRESS},
                 SqlBound(q.horizon_end), after, after, RecordIdAfter(q, v1::TASK_KIND_PLAN_ITEM_DUE),
                 q.division_prefix, DivisionPrefixEnd(q.division_prefix), int64_t{v1::CASE_STATUS_VERIFYING},
                 int64_t{v1::CASE_STATUS_ACTIVE}, Flag(q.organisation_id.empty()), q.organisation_id,
                 Flag(!mine), q.subject, q.subject, int64_t{q.limit}}));
    for (const auto& row : rows) {
      ASSIGN_OR_RETURN(absl::Time due, DueOf(row, 4));
      tasks.push_back(MakeTask(v1::TASK_KIND_PLAN_ITEM_DUE, row.String(0), row.String(1), row.String(2),
                               row.String(3), due));
    }
    return tasks;
  }
};

// Reviews: waiting for the caller's step (supervisor, county), or returned to the caller (caseworker).
class ReviewSource final : public TaskSource {
 public:
  explicit ReviewSource(absl::Duration within) : within_(within) {}
  absl::StatusOr<std::vector<v1::Task>> Due(db::Session& s, const TaskQuery& q) const override {
    std::vector<v1::Task> tasks;
    const bool returned = q.audience == v1::TASK_AUDIENCE_CASEWORKER;
    const v1::ReviewState state = returned ? v1::REVIEW_STATE_RETURNED : q.awaiting;
    if (state == v1::REVIEW_STATE_UNSPECIFIED) return tasks;
    const v1::TaskKind kind = returned ? v1::TASK_KIND_REVIEW_RETURNED : v1::TASK_KIND_REVIEW_PENDING;
    const std::string after = SqlBound(q.after_due - within_);
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query(kReviewTasks,
                {int64_t{state}, SqlBound(q.horizon_end - within_), after, after, RecordIdAfter(q, kind),
                 q.division_prefix, DivisionPrefixEnd(q.division_prefix), Flag(q.organisation_id.empty()),
                 q.organisation_id, Flag(!returned), q.subject, int64_t{q.limit}}));
    for (const auto& row : rows) {
      ASSIGN_OR_RETURN(absl::Time since, DueOf(row, 4));
      // A returned item goes back to whoever submitted it; a pending one to any reviewer of the scope.
      tasks.push_back(MakeTask(kind, row.String(0), row.String(1), row.String(2),
                               returned ? row.String(3) : std::string(), since + within_));
    }
    return tasks;
  }

 private:
  const absl::Duration within_;
};

// Open follow-ups of one kind from the visits service's events.
class FollowUpSource final : public TaskSource {
 public:
  explicit FollowUpSource(v1::TaskKind kind) : kind_(kind) {}
  absl::StatusOr<std::vector<v1::Task>> Due(db::Session& s, const TaskQuery& q) const override {
    std::vector<v1::Task> tasks;
    const bool mine = q.audience == v1::TASK_AUDIENCE_CASEWORKER;
    const std::string after = SqlBound(q.after_due);
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query(kFollowUpTasks,
                {int64_t{kind_}, SqlBound(q.horizon_end), after, after, RecordIdAfter(q, kind_),
                 q.division_prefix, DivisionPrefixEnd(q.division_prefix), Flag(q.organisation_id.empty()),
                 q.organisation_id, Flag(!mine), q.subject, int64_t{q.limit}}));
    for (const auto& row : rows) {
      ASSIGN_OR_RETURN(absl::Time due, DueOf(row, 4));
      tasks.push_back(MakeTask(kind_, row.String(0), row.String(1), row.String(2), row.String(3), due));
    }
    return tasks;
  }

 private:
  const v1::TaskKind kind_;
};

// Service referrals out that are still open (sent, or accepted and not completed) by their due day: the
// sender's caseworker, and the county, chase them. Days become the end of the day in Asia/Shanghai, as plan
// items' due dates do.
class ServiceReferralSource final : public TaskSource {
 public:
  absl::StatusOr<std::vector<v1::Task>> Due(db::Session& s, const TaskQuery& q) const override {
    std::vector<v1::Task> tasks;
    if (q.audience == v1::TASK_AUDIENCE_SUPERVISOR) return tasks;
    const bool mine = q.audience == v1::TASK_AUDIENCE_CASEWORKER;
    const absl::CivilDay after_day = LastDayDueBy(q.after_due);
    // Tasks due exactly at the page position are those of after_day, when its end is that position.
    const std::string same_day =
        DueAtEndOf(after_day) == q.after_due ? absl::FormatCivilTime(after_day) : std::string("1000-01-01");
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query(kServiceReferralTasks,
                {int64_t{v1::SERVICE_REFERRAL_STATUS_SENT}, int64_t{v1::SERVICE_REFERRAL_STATUS_ACCEPTED},
                 absl::FormatCivilTime(LastDayDueBy(q.horizon_end)), absl::FormatCivilTime(after_day),
                 same_day, RecordIdAfter(q, v1::TASK_KIND_SERVICE_REFERRAL_DUE), q.division_prefix,
                 DivisionPrefixEnd(q.division_prefix), Flag(q.organisation_id.empty()), q.organisation_id,
                 Flag(!mine), q.subject, int64_t{q.limit}}));
    for (const auto& row : rows) {
      absl::CivilDay day;
      if (!absl::ParseCivilTime(row.String(4), &day)) {
        return absl::DataLossError("service_referrals.due_date is unreadable");
      }
      tasks.push_back(MakeTask(v1::TASK_KIND_SERVICE_REFERRAL_DUE, row.String(0), row.String(1),
                               row.String(2), row.String(3), DueAtEndOf(day)));
    }
    return tasks;
  }
};

}  // namespace

CaseworkStore::CaseworkStore(db::Pool& pool, IdGenerator& ids, MariaDbRegistryStore& cases,
                             CaseworkRules rules)
    : pool_(pool), ids_(ids), cases_(cases), rules_(std::move(rules)) {
  task_sources_.push_back(std::make_unique<AssessmentDueSource>(rules_.schedule.initial_days));
  task_sources_.push_back(std::make_unique<PlanItemDueSource>());
  task_sources_.push_back(std::make_unique<ReviewSource>(rules_.review_within));
  task_sources_.push_back(std::make_unique<FollowUpSource>(v1::TASK_KIND_VISIT_DANGER_SIGNS));
  task_sources_.push_back(std::make_unique<FollowUpSource>(v1::TASK_KIND_VISIT_CHECK_OUT_MISSING));
  task_sources_.push_back(std::make_unique<ServiceReferralSource>());
}

CaseworkStore::~CaseworkStore() = default;

// ---- reads
// ----------------------------------------------------------------------------------------------------

absl::StatusOr<std::optional<v1::Instrument>> CaseworkStore::ReadInstrument(db::Session& s,
                                                                            const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kInstrumentById, {id}));
  if (!row) return std::optional<v1::Instrument>();
  v1::Instrument instrument;
  instrument.set_instrument_id(row->String(0));
  instrument.set_code(row->String(1));
  instrument.set_version(static_cast<int32_t>(row->Int(2)));
  instrument.set_title(row->String(3));
  RETURN_IF_ERROR(ReadDefinition(row->String(4), instrument));
  instrument.set_published_by(row->String(5));
  RETURN_IF_ERROR(ReadInstant(*row, 6, instrument.mutable_published_at()));
  return std::optional<v1::Instrument>(std::move(instrument));
}

absl::StatusOr<std::optional<v1::Instrument>> CaseworkStore::GetInstrument(const std::string& instrument_id) {
  return db::ReadOne<std::optional<v1::Instrument>>(
      pool_, [&](db::Session& s) { return ReadInstrument(s, instrument_id); });
}

absl::StatusOr<std::optional<v1::Review>> CaseworkStore::ReadReview(db::Session& s,
                                                                    const std::string& item_id,
                                                                    bool for_update, bool with_history) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   s.QueryOne(for_update ? kReviewByIdForUpdate : kReviewById, {item_id}));
  if (!row) return std::optional<v1::Review>();
  v1::Review review = ReviewFromRow(*row);
  if (with_history) {
    ASSIGN_OR_RETURN(db::Rows steps, s.Query(kReviewSteps, {item_id}));
    for (const auto& step : steps) {
      v1::ReviewStep* h = review.add_history();
      RETURN_IF_ERROR(ReadInstant(step, 0, h->mutable_at()));
      h->set_actor(step.String(1));
      h->set_from_state(static_cast<v1::ReviewState>(step.Int(2)));
      h->set_to_state(static_cast<v1::ReviewState>(step.Int(3)));
      h->set_detail(step.String(4));
    }
  }
  return std::optional<v1::Review>(std::move(review));
}

absl::StatusOr<std::optional<v1::Assessment>> CaseworkStore::ReadAssessment(db::Session& s,
                                                                            const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kAssessmentById, {id}));
  if (!row) return std::optional<v1::Assessment>();
  v1::Assessment a;
  a.set_assessment_id(row->String(0));
  a.set_case_id(row->String(1));
  a.set_instrument_id(row->String(2));
  a.set_instrument_code(row->String(3));
  a.set_instrument_version(static_cast<int32_t>(row->Int(4)));
  kept::StoredAnswers answers;
  if (!answers.ParseFromString(row->String(5))) return absl::DataLossError("unreadable answers");
  for (const auto& stored : answers.answers()) {
    v1::Answer* answer = a.add_answers();
    answer->set_question_id(stored.question_id());
    answer->set_score(stored.score());
  }
  a.set_total_score(static_cast<int32_t>(row->Int(6)));
  a.set_grade(static_cast<v1::RiskLevel>(row->Int(7)));
  a.set_emergency_override(row->Int(8) != 0);
  a.set_note(row->String(9));
  RETURN_IF_ERROR(ReadInstant(*row, 10, a.mutable_created_at()));
  ASSIGN_OR_RETURN(std::optional<v1::Review> review, ReadReview(s, id, false, true));
  if (review) *a.mutable_review() = *std::move(review);
  return std::optional<v1::Assessment>(std::move(a));
}

absl::StatusOr<std::optional<v1::CasePlan>> CaseworkStore::ReadPlan(db::Session& s, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kPlanById, {id}));
  if (!row) return std::optional<v1::CasePlan>();
  v1::CasePlan plan;
  plan.set_plan_id(row->String(0));
  plan.set_case_id(row->String(1));
  plan.set_version(static_cast<int32_t>(row->Int(2)));
  kept::StoredGoals goals;
  if (!goals.ParseFromString(row->String(3))) return absl::DataLossError("unreadable goals");
  for (const auto& g : goals.goals()) plan.add_goals(g);
  plan.set_current(row->Int(4) != 0);
  RETURN_IF_ERROR(ReadInstant(*row, 5, plan.mutable_created_at()));
  ASSIGN_OR_RETURN(db::Rows items, s.Query(kPlanItems, {id}));
  for (const auto& item : items) *plan.add_items() = PlanItemFromRow(item);
  ASSIGN_OR_RETURN(std::optional<v1::Review> review, ReadReview(s, id, false, true));
  if (review) *plan.mutable_review() = *std::move(review);
  return std::optional<v1::CasePlan>(std::move(plan));
}

absl::StatusOr<std::optional<v1::ClosureRequest>> CaseworkStore::ReadClosure(db::Session& s,
                                                                             const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kClosureById, {id}));
  if (!row) return std::optional<v1::ClosureRequest>();
  v1::ClosureRequest closure;
  closure.set_closure_id(row->String(0));
  closure.set_case_id(row->String(1));
  closure.set_reason(row->String(2));
  RETURN_IF_ERROR(ReadInstant(*row, 3, closure.mutable_created_at()));
  ASSIGN_OR_RETURN(std::optional<v1::Review> review, ReadReview(s, id, false, true));
  if (review) *closure.mutable_review() = *std::move(review);
  return std::optional<v1::ClosureRequest>(std::move(closure));
}

template <typename Record, typename Read>
absl::StatusOr<std::optional<OfCase<Record>>> CaseworkStore::ReadOfCase(Read read) {
  ASSIGN_OR_RETURN(std::optional<Record> record, db::ReadOne<std::optional<Record>>(pool_, read));
  if (!record) return std::optional<OfCase<Record>>();
  ASSIGN_OR_RETURN(std::optional<v1::Case> owner, cases_.GetCase(record->case_id(), /*with_history=*/false));
  if (!owner) return absl::InternalError("a casework record's case is missing");
  return std::optional<OfCase<Record>>(OfCase<Record>{*std::move(record), *std::move(owner)});
}

absl::StatusOr<std::optional<OfCase<v1::Assessment>>> CaseworkStore::GetAssessment(
    const std::string& assessment_id) {
  return ReadOfCase<v1::Assessment>([&](db::Session& s) { return ReadAssessment(s, assessment_id); });
}

absl::StatusOr<std::optional<OfCase<v1::CasePlan>>> CaseworkStore::GetCasePlan(const std::string& plan_id) {
  return ReadOfCase<v1::CasePlan>([&](db::Session& s) { return ReadPlan(s, plan_id); });
}

absl::StatusOr<std::optional<OfCase<v1::CasePlan>>> CaseworkStore::GetCurrentPlan(
    const std::string& case_id) {
  return ReadOfCase<v1::CasePlan>([&](db::Session& s) -> absl::StatusOr<std::optional<v1::CasePlan>> {
    ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kCurrentPlanOfCase, {case_id}));
    if (!row) return std::optional<v1::CasePlan>();
    return ReadPlan(s, row->String(0));
  });
}

// ---- mutations
// ------------------------------------------------------------------------------------------------

absl::StatusOr<v1::Case> CaseworkStore::LockAuthorizedCase(db::Session& tx, const std::string& case_id,
                                                           const Authorize<v1::Case>& authorize) {
  ASSIGN_OR_RETURN(std::optional<v1::Case> owner, cases_.LockCase(tx, case_id));
  if (!owner) return absl::NotFoundError("case not found");
  RETURN_IF_ERROR(tx.Execute(kCertifyCaseLock, {case_id}).status());
  RETURN_IF_ERROR(authorize(*owner));
  return *std::move(owner);
}

absl::Status CaseworkStore::InsertReview(db::Session& tx, const v1::Review& r) {
  return tx
      .Execute(kInsertReview, {r.item_id(), int64_t{r.kind()}, r.case_id(), int64_t{r.state()}, r.author(),
                               ToSqlTimestamp(FromProtoTimestamp(r.updated_at()))})
      .status();
}

absl::StatusOr<v1::Instrument> CaseworkStore::PublishInstrument(const IdempotencyKey& key, const Actor& actor,
                                                                const v1::Instrument& instrument) {
  return IdempotentTransaction<v1::Instrument>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Instrument> {
        ASSIGN_OR_RETURN(std::optional<db::Row> last,
                         tx.QueryOne(kLastInstrumentVersion, {instrument.code()}));
        const int64_t version = (last ? last->Int(0) : 0) + 1;
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(
            tx.Execute(kInsertInstrument, {id, instrument.code(), version, instrument.title(),
                                           DefinitionOf(instrument), actor.subject, ToSqlTimestamp(actor.at)})
                .status());
        ASSIGN_OR_RETURN(std::optional<v1::Instrument> published, ReadInstrument(tx, id));
        if (!published) return tx.WriteVanished("the published instrument");
        return *std::move(published);
      });
}

absl::StatusOr<v1::Assessment> CaseworkStore::CreateAssessment(
    const IdempotencyKey& key, const Actor& actor, const std::string& case_id,
    const std::string& instrument_id, const google::protobuf::RepeatedPtrField<v1::Answer>& answers,
    const std::string& note, const Authorize<v1::Case>& authorize) {
  return IdempotentTransaction<v1::Assessment>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Assessment> {
        ASSIGN_OR_RETURN(v1::Case owner, LockAuthorizedCase(tx, case_id, authorize));
        RETURN_IF_ERROR(RequireOpen(owner));
        ASSIGN_OR_RETURN(std::optional<v1::Instrument> instrument, ReadInstrument(tx, instrument_id));
        if (!instrument) return absl::NotFoundError("instrument not found");
        ASSIGN_OR_RETURN(Score score, ScoreAnswers(*instrument, answers));
        kept::StoredAnswers stored;
        for (const auto& a : answers) {
          auto* s = stored.add_answers();
          s->set_question_id(a.question_id());
          s->set_score(a.score());
        }
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(
            tx.Execute(kInsertAssessment,
                       {id, case_id, instrument_id, stored.SerializeAsString(), int64_t{score.total},
                        int64_t{score.grade}, Flag(score.emergency_override), note, ToSqlTimestamp(actor.at)})
                .status());
        RETURN_IF_ERROR(InsertReview(tx, DraftReview(id, v1::REVIEW_KIND_ASSESSMENT, case_id, actor)));
        ASSIGN_OR_RETURN(std::optional<v1::Assessment> created, ReadAssessment(tx, id));
        if (!created) return tx.WriteVanished("the created assessment");
        return *std::move(created);
      });
}

absl::StatusOr<v1::CasePlan> CaseworkStore::CreateCasePlan(const IdempotencyKey& key, const Actor& actor,
                                                           const std::string& case_id,
                                                           const v1::CasePlan& plan,
                                                           const Authorize<v1::Case>& authorize) {
  return IdempotentTransaction<
      v1::CasePlan>(pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::CasePlan> {
    ASSIGN_OR_RETURN(v1::Case owner, LockAuthorizedCase(tx, case_id, authorize));
    RETURN_IF_ERROR(RequireOpen(owner));
    ASSIGN_OR_RETURN(std::optional<db::Row> last, tx.QueryOne(kLastPlanVersion, {case_id}));
    const int64_t version = (last ? last->Int(0) : 0) + 1;
    kept::StoredGoals goals;
    for (const auto& g : plan.goals()) goals.add_goals(g);
    const std::string id = ids_.Next();
    const std::string now = ToSqlTimestamp(actor.at);
    RETURN_IF_ERROR(tx.Execute(kInsertPlan, {id, case_id, version, goals.SerializeAsString(), now}).status());
    for (const auto& item : plan.items()) {
      ASSIGN_OR_RETURN(absl::CivilDay due, ParseDay(item.due_date(), "items.due_date"));
      RETURN_IF_ERROR(
          tx.Execute(kInsertPlanItem,
                     {ids_.Next(), id, case_id, item.description(), item.owner_id(), item.due_date(),
                      ToSqlTimestamp(DueAtEndOf(due)), int64_t{v1::PLAN_ITEM_STATUS_PLANNED}, now})
              .status());
    }
    RETURN_IF_ERROR(InsertReview(tx, DraftReview(id, v1::REVIEW_KIND_CASE_PLAN, case_id, actor)));
    ASSIGN_OR_RETURN(std::optional<v1::CasePlan> created, ReadPlan(tx, id));
    if (!created) return tx.WriteVanished("the created plan");
    return *std::move(created);
  });
}

absl::StatusOr<v1::PlanItem> CaseworkStore::UpdatePlanItemStatus(const IdempotencyKey& key,
                                                                 const Actor& actor,
                                                                 const std::string& item_id,
                                                                 v1::PlanItemStatus status,
                                                                 const Authorize<v1::Case>& authorize) {
  return IdempotentTransaction<v1::PlanItem>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::PlanItem> {
        ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kPlanItemForUpdate, {item_id}));
        if (!row) return absl::NotFoundError("plan item not found");
        ASSIGN_OR_RETURN(v1::Case owner, LockAuthorizedCase(tx, row->String(5), authorize));
        RETURN_IF_ERROR(RequireOpen(owner));
        if (row->Int(6) == 0)
          return absl::FailedPreconditionError("the item's plan is not the case's current plan");
        v1::PlanItem item = PlanItemFromRow(*row);
        RETURN_IF_ERROR(CheckPlanItemStep(item.status(), status));
        RETURN_IF_ERROR(
            tx.Execute(kUpdatePlanItemStatus, {int64_t{status}, ToSqlTimestamp(actor.at), item_id}).status());
        item.set_status(status);
        return item;
      });
}

absl::StatusOr<v1::ClosureRequest> CaseworkStore::RequestClosure(const IdempotencyKey& key,
                                                                 const Actor& actor,
                                                                 const std::string& case_id,
                                                                 const std::string& reason,
                                                                 const Authorize<v1::Case>& authorize) {
  return IdempotentTransaction<v1::ClosureRequest>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ClosureRequest> {
        ASSIGN_OR_RETURN(v1::Case owner, LockAuthorizedCase(tx, case_id, authorize));
        RETURN_IF_ERROR(RequireOpen(owner));
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(tx.Execute(kInsertClosure, {id, case_id, reason, ToSqlTimestamp(actor.at)}).status());
        RETURN_IF_ERROR(InsertReview(tx, DraftReview(id, v1::REVIEW_KIND_CLOSURE, case_id, actor)));
        ASSIGN_OR_RETURN(std::optional<v1::ClosureRequest> created, ReadClosure(tx, id));
        if (!created) return tx.WriteVanished("the created closure request");
        return *std::move(created);
      });
}

absl::Status CaseworkStore::ChangeRisk(db::Session& tx, const Actor& actor, const v1::Case& owner,
                                       v1::RiskLevel risk, const std::string& reason) {
  ASSIGN_OR_RETURN(CaseChange change, SetRiskLevel(owner, actor, risk, reason));
  return cases_.WriteCaseChange(tx, owner.case_id(), change);
}

absl::Status CaseworkStore::ApplyStepEffect(db::Session& tx, const Actor& actor, const v1::Review& review,
                                            ReviewStep step, const v1::Case& owner) {
  if (step == ReviewStep::kReturn || step == ReviewStep::kTownshipCheck) return absl::OkStatus();
  // Nothing is submitted or confirmed on a closed case (a closure's own rule says so for closures).
  if (review.kind() != v1::REVIEW_KIND_CLOSURE) RETURN_IF_ERROR(RequireOpen(owner));
  switch (review.kind()) {
    case v1::REVIEW_KIND_ASSESSMENT: {
      ASSIGN_OR_RETURN(std::optional<v1::Assessment> assessment, ReadAssessment(tx, review.item_id()));
      if (!assessment) return absl::InternalError("reviewed assessment is missing");
      if (step == ReviewStep::kSubmit) {
        // Child safety cannot wait for a signature: the case is red from now, and the review still runs.
        if (assessment->emergency_override() && owner.risk_level() != v1::RISK_LEVEL_EXTREME) {
          return ChangeRisk(tx, actor, owner, v1::RISK_LEVEL_EXTREME,
                            absl::StrCat("emergency override on assessment ", review.item_id()));
        }
        return absl::OkStatus();
      }
      // The case row is locked (LockAuthorizedCase): confirmations of one case take their turns.
      ASSIGN_OR_RETURN(std::optional<db::Row> last, tx.QueryOne(kLastConfirmedAssessment, {owner.case_id()}));
      if (!AssessmentTakesEffect(review.item_id(), last ? last->String(0) : "")) return absl::OkStatus();
      if (owner.risk_level() != assessment->grade()) {
        RETURN_IF_ERROR(ChangeRisk(tx, actor, owner, assessment->grade(),
                                   absl::StrCat("assessment ", review.item_id(), " confirmed")));
      }
      const absl::CivilDay due =
          NextAssessmentDue(rules_.schedule, assessment->grade(), ShanghaiDay(actor.at));
      return tx
          .Execute(kUpsertSchedule, {owner.case_id(), DayText(due), ToSqlTimestamp(DueAtEndOf(due)),
                                     review.item_id(), ToSqlTimestamp(actor.at)})
          .status();
    }
    case v1::REVIEW_KIND_CASE_PLAN: {
      if (step == ReviewStep::kSubmit) return absl::OkStatus();
      ASSIGN_OR_RETURN(std::optional<db::Row> versions,
                       tx.QueryOne(kPlanVersions, {review.item_id(), owner.case_id()}));
      if (!versions || versions->IsNull(0)) return absl::InternalError("reviewed plan is missing");
      if (!PlanTakesEffect(versions->Int(0),
                           versions->IsNull(1) ? std::nullopt : std::optional<int64_t>(versions->Int(1)))) {
        return absl::OkStatus();
      }
      RETURN_IF_ERROR(tx.Execute(kRetireCurrentPlan, {owner.case_id()}).status());
      return tx.Execute(kMakePlanCurrent, {review.item_id()}).status();
    }
    case v1::REVIEW_KIND_CLOSURE: {
      if (step == ReviewStep::kSubmit) return RequireOpen(owner);
      ASSIGN_OR_RETURN(std::optional<v1::ClosureRequest> closure, ReadClosure(tx, review.item_id()));
      if (!closure) return absl::InternalError("reviewed closure request is missing");
      ASSIGN_OR_RETURN(CaseChange change, CloseCase(owner, actor, closure->reason()));
      return cases_.WriteCaseChange(tx, owner.case_id(), change);
    }
    default:
      return absl::InternalError("unknown review kind");
  }
}

absl::StatusOr<v1::Review> CaseworkStore::TakeReviewStep(const IdempotencyKey& key, const Actor& actor,
                                                         const std::string& item_id, ReviewStep step,
                                                         const std::string& detail,
                                                         const Authorize<v1::Case>& authorize) {
  return IdempotentTransaction<v1::Review>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Review> {
        ASSIGN_OR_RETURN(std::optional<v1::Review> current,
                         ReadReview(tx, item_id, /*for_update=*/true, false));
        if (!current) return absl::NotFoundError("item not found");
        // Scope before state: outside scope the item does not exist, whatever its state.
        ASSIGN_OR_RETURN(v1::Case owner, LockAuthorizedCase(tx, current->case_id(), authorize));
        ASSIGN_OR_RETURN(ReviewChange change,
                         ApplyReviewStep(*current, step, actor, detail, rules_.self_approval));
        RETURN_IF_ERROR(ApplyStepEffect(tx, actor, change.updated, step, owner));
        const v1::Review& r = change.updated;
        const std::string now = ToSqlTimestamp(actor.at);
        RETURN_IF_ERROR(tx.Execute(kUpdateReview, {int64_t{r.state()}, r.submitted_by(),
                                                   r.township_checked_by(), r.county_confirmed_by(),
                                                   r.returned_by(), r.return_reason(), now, item_id})
                            .status());
        RETURN_IF_ERROR(tx.Execute(kInsertReviewStep, {ids_.Next(), item_id, now, actor.subject,
                                                       int64_t{change.step.from_state()},
                                                       int64_t{change.step.to_state()}, detail})
                            .status());
        v1::CaseworkReviewChanged event;
        event.set_item_id(item_id);
        event.set_kind(r.kind());
        event.set_case_id(r.case_id());
        event.set_from_state(change.step.from_state());
        event.set_to_state(change.step.to_state());
        *event.mutable_at() = ToProtoTimestamp(actor.at);
        RETURN_IF_ERROR(cases_.outbox().Append(tx, r.case_id(), event, actor.at));
        ASSIGN_OR_RETURN(std::optional<v1::Review> updated, ReadReview(tx, item_id, false, true));
        if (!updated) return absl::InternalError("reviewed item is missing");
        return *std::move(updated);
      });
}

// ---- lists
// ----------------------------------------------------------------------------------------------------

absl::StatusOr<std::vector<v1::DueAssessment>> CaseworkStore::ListOverdueAssessments(const OverdueFilter& f) {
  std::vector<v1::DueAssessment> due;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    const int64_t days = rules_.schedule.initial_days;
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query(kOverdueAssessments, {days, f.division_prefix, DivisionPrefixEnd(f.division_prefix),
                                      int64_t{v1::CASE_STATUS_VERIFYING}, int64_t{v1::CASE_STATUS_ACTIVE},
                                      Flag(f.organisation_id.empty()), f.organisation_id, f.after_case_id,
                                      days, SqlBound(f.due_before), int64_t{f.limit}}));
    for (const auto& row : rows) {
      v1::DueAssessment& d = due.emplace_back();
      d.set_case_id(row.String(0));
      d.set_village_code(row.String(1));
      d.set_organisation_id(row.String(2));
      d.set_caseworker_id(row.String(3));
      d.set_risk_level(static_cast<v1::RiskLevel>(row.Int(4)));
      ASSIGN_OR_RETURN(absl::Time at, FromSqlTimestamp(row.String(5)));
      // A due instant is the end of its day; the day is the one it ends.
      d.set_due_date(DayText(ShanghaiDay(at - absl::Microseconds(1))));
      d.set_last_assessment_id(row.String(6));
    }
    return absl::OkStatus();
  }));
  return due;
}

absl::StatusOr<std::vector<v1::Task>> CaseworkStore::ListTasks(const TaskQuery& query) {
  std::vector<std::vector<v1::Task>> pages;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    for (const auto& source : task_sources_) {
      ASSIGN_OR_RETURN(std::vector<v1::Task> page, source->Due(s, query));
      pages.push_back(std::move(page));
    }
    return absl::OkStatus();
  }));
  return MergeTaskPages(std::move(pages), query.limit, query.now);
}

absl::StatusOr<v1::Task> CaseworkStore::CompleteFollowUp(const IdempotencyKey& key, const Actor& actor,
                                                         const std::string& follow_up_id,
                                                         const std::string& note,
                                                         const Authorize<v1::Case>& authorize) {
  return IdempotentTransaction<v1::Task>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Task> {
        ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kFollowUpForUpdate, {follow_up_id}));
        if (!row) return absl::NotFoundError("task not found");
        // Judged, and shown, where it is acted on (kFollowUpTasks): the case as seen from the follow-up's own
        // place when it names one.
        const std::optional<std::string> place = row->OptString(5);
        const std::optional<std::string> organisation = row->OptString(6);
        const auto acted_on_from = [&](v1::Case c) {
          if (!place || !organisation) return c;
          if (*organisation != c.organisation_id()) c.clear_caseworker_id();
          c.set_village_code(*place);
          c.set_organisation_id(*organisation);
          return c;
        };
        ASSIGN_OR_RETURN(v1::Case owner, LockAuthorizedCase(tx, row->String(2), [&](const v1::Case& c) {
                           return authorize(acted_on_from(c));
                         }));
        owner = acted_on_from(std::move(owner));
        if (row->Int(4) != 0) return absl::FailedPreconditionError("the task is done already");
        RETURN_IF_ERROR(tx.Execute(kCompleteFollowUp, {actor.subject, note, follow_up_id}).status());
        ASSIGN_OR_RETURN(absl::Time due, FromSqlTimestamp(row->String(3)));
        v1::Task task = MakeTask(static_cast<v1::TaskKind>(row->Int(1)), follow_up_id, owner.case_id(),
                                 owner.village_code(), owner.caseworker_id(), due);
        task.set_overdue(due < actor.at);
        return task;
      });
}

absl::Status CaseworkStore::ApplyVisitEvent(db::Session& tx, const common::v1::Event& event) {
  std::optional<VisitFollowUp> follow_up = FollowUpFor(event);
  if (!follow_up) return absl::OkStatus();
  return tx
      .Execute(kRecordFollowUp,
               {ids_.Next(), int64_t{follow_up->kind}, follow_up->source_ref, follow_up->case_id,
                ToSqlTimestamp(follow_up->due_at), ToSqlTimestamp(FromProtoTimestamp(event.occurred_at())),
                follow_up->village_code, follow_up->organisation_id})
      .status();
}

}  // namespace shouhu::registry
