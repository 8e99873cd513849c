#include "services/visits/visits_store.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/batch_statements.h"
#include "common/clock.h"
#include "common/scope.h"
#include "common/status_macros.h"

namespace shouhu::visits {
namespace {

constexpr char kSelectChildPlan[] =
    "SELECT case_id, child_id, village_code, organisation_id, risk, is_open, opened_on, last_completed_visit,"
    " last_visitor_id, last_event_sequence FROM case_plans WHERE child_id = ?"
    " ORDER BY is_open DESC, opened_on DESC, case_id DESC LIMIT 1";

// Followed by a padded IN list (common/batch_statements.h) and kLockCasePlansTail.
constexpr char kLockCasePlansHead[] =
    "SELECT case_id, child_id, village_code, organisation_id, risk, is_open, opened_on, last_completed_visit,"
    " last_visitor_id, last_event_sequence FROM case_plans WHERE case_id IN (";
constexpr char kLockCasePlansTail[] = ") FOR UPDATE";

// A child has a few reports a year: read through visit_reports_child.
constexpr char kLastCompletedVisit[] =
    "SELECT visit_day, visitor_id FROM visit_reports WHERE child_id = ? AND case_id = ? AND outcome = ?"
    " AND visit_day >= ? ORDER BY visit_day DESC, id DESC LIMIT 1";

constexpr char kCompletedVisitsRepair[] = "completed-visits-into-plans";
constexpr char kRepairFinished[] = "SELECT 1 FROM data_repairs WHERE name = ?";
constexpr char kRecordRepairFinished[] = "INSERT IGNORE INTO data_repairs (name, finished_at) VALUES (?, ?)";
// Each plan with whether a completed visit since its case was (re)opened is later than the one it holds.
constexpr char kPlansBehindTheirReports[] =
    "SELECT p.case_id, p.child_id, EXISTS (SELECT 1 FROM visit_reports r WHERE r.child_id = p.child_id"
    " AND r.case_id = p.case_id AND r.outcome = ? AND r.visit_day >= p.opened_on"
    " AND (p.last_completed_visit IS NULL OR r.visit_day > p.last_completed_visit))"
    " FROM case_plans p WHERE p.case_id > ? ORDER BY p.case_id LIMIT ?";

constexpr char kSaveCasePlansHead[] =
    "INSERT INTO case_plans (case_id, child_id, village_code, organisation_id, risk, is_open, opened_on,"
    " last_completed_visit, last_visitor_id, last_event_sequence, next_due_day, next_visit_kind, updated_at)"
    " VALUES ";
constexpr char kSaveCasePlansRow[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr size_t kSaveCasePlansWidth = 13;
constexpr char kSaveCasePlansTail[] =
    " ON DUPLICATE KEY UPDATE child_id = VALUES(child_id), village_code = VALUES(village_code),"
    " organisation_id = VALUES(organisation_id), risk = VALUES(risk), is_open = VALUES(is_open),"
    " opened_on = VALUES(opened_on), last_completed_visit = VALUES(last_completed_visit),"
    " last_visitor_id = VALUES(last_visitor_id), last_event_sequence = VALUES(last_event_sequence),"
    " next_due_day = VALUES(next_due_day), next_visit_kind = VALUES(next_visit_kind),"
    " updated_at = VALUES(updated_at)";

constexpr char kListOverdue[] =
    "SELECT case_id, child_id, village_code, organisation_id, risk, is_open, opened_on, last_completed_visit,"
    " last_visitor_id, last_event_sequence FROM case_plans"
    " WHERE is_open = 1 AND village_code >= ? AND village_code < ? AND next_due_day < ?"
    " AND (? = '' OR organisation_id = ?) AND case_id > ? ORDER BY case_id LIMIT ?";

constexpr char kInsertVisitor[] =
    "INSERT INTO visitors (id, participant_id, organisation_id, home_village_code, available_saturday,"
    " available_sunday, daily_capacity, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

constexpr char kSelectVisitor[] =
    "SELECT id, participant_id, organisation_id, home_village_code, available_saturday, available_sunday,"
    " daily_capacity FROM visitors WHERE id = ?";

constexpr char kListDueBy[] =
    "SELECT case_id, child_id, village_code, organisation_id, risk, is_open, opened_on, last_completed_visit,"
    " last_visitor_id, last_event_sequence FROM case_plans"
    " WHERE is_open = 1 AND village_code >= ? AND village_code < ? AND next_due_day <= ?"
    " AND (? = '' OR organisation_id = ?) ORDER BY case_id";

constexpr char kListVisitorsIn[] =
    "SELECT id, participant_id, organisation_id, home_village_code, available_saturday, available_sunday,"
    " daily_capacity FROM visitors WHERE home_village_code >= ? AND home_village_code < ?"
    " AND (? = '' OR organisation_id = ?)"
    // A person under a safeguarding concern (open or upheld) is never planned, even before training has
    // confirmed their suspension.
    " AND NOT EXISTS (SELECT 1 FROM safeguarding_concerns c WHERE c.visitor_id = visitors.id"
    " AND c.state IN (1, 2)) ORDER BY id";

constexpr char kListReleasesIn[] =
    "SELECT id, releases, later_releases FROM visitors WHERE home_village_code >= ? AND home_village_code < ?"
    " AND (? = '' OR organisation_id = ?)";
// A plan's visitor, checked as it is stored: the row written (so that a release, which writes it too, and
// this plan serialise on it, on one node by the row lock and on Galera by certification), then its count of
// releases read under that lock.
// Each is followed by a padded IN list of the plan's visitors (a chunk of them) and ")".
constexpr char kLockVisitorsForPlanningHead[] =
    "UPDATE visitors SET lock_version = lock_version + 1 WHERE id IN (";
constexpr char kVisitorsReleasesHead[] =
    "SELECT id, releases, later_releases, later_release_from FROM visitors WHERE id IN (";

// With the village the household was planned in (visits migration 0044): the visit's report and late
// check-in are judged there, wherever the case has moved since.
constexpr char kInsertAssignmentsHead[] =
    "INSERT INTO visit_assignments (id, case_id, child_id, visitor_id, visit_day, slot, village_code, "
    "planned_by, created_at) VALUES ";
constexpr char kAssignmentRow[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr size_t kAssignmentWidth = 9;

// A household's visit already placed in the weekend, read after its plan row is locked: two plans made at
// once with different visitors serialise on the case and the later one sees the earlier's visit. The lock is
// taken by writing the row, not by SELECT ... FOR UPDATE: on Galera a row lock holds only on its own node and
// only written rows are certified, so two nodes' plans must both write it to conflict (visits migration
// 0030).
// Each is followed by a padded IN list of the plan's cases (a chunk of them) and its tail.
constexpr char kLockCasesForPlanningHead[] =
    "UPDATE case_plans SET lock_version = lock_version + 1 WHERE case_id IN (";
// With the village: the plan's, as the case has not changed since the plan read it.
constexpr char kCasesLastEventHead[] =
    "SELECT case_id, last_event_sequence, village_code FROM case_plans WHERE case_id IN (";
constexpr char kCasesVisitInWeekendHead[] = "SELECT id FROM visit_assignments WHERE case_id IN (";
constexpr char kCasesVisitInWeekendTail[] = ") AND visit_day >= ? AND visit_day <= ? LIMIT 1";
// A plan's visitors and cases are locked and checked this many to a statement: a county's weekend places
// thousands of visits, and one statement per row was most of storing the plan (two per visitor, two per
// household, one per assignment: about 8,000 for the largest county's weekend).
constexpr size_t kPlanLockChunk = 256;

// `ids` (sorted: every plan locks in the same order) in chunks of at most kPlanLockChunk, each as a padded
// IN list's text and parameters.
template <typename Each>
absl::Status ForEachIdChunk(const std::vector<std::string>& ids, Each each) {
  for (size_t from = 0; from < ids.size(); from += kPlanLockChunk) {
    const size_t n = std::min(kPlanLockChunk, ids.size() - from);
    std::vector<db::Value> params(ids.begin() + static_cast<std::ptrdiff_t>(from),
                                  ids.begin() + static_cast<std::ptrdiff_t>(from + n));
    db::PadEntries(params, 0, 1, n);
    RETURN_IF_ERROR(each(db::PaddedList("?", ", ", n), std::move(params)));
  }
  return absl::OkStatus();
}

// From the division's households and from its visitors, each by its index, never from the weekend's
// assignments: those are the whole province's (146,800 a weekend at full size), and joining each of them to
// its case and visitor to test the division took 437 ms for the largest county, against 85 ms this way
// (tests/bench/README.md, Scale). UNION, not UNION ALL: a visit whose household and visitor are both in the
// division is one row.
constexpr char kListAssignmentsIn[] =
    "SELECT a.id, a.case_id, a.child_id, a.visitor_id, a.visit_day, a.slot FROM case_plans p"
    " JOIN visit_assignments a ON a.case_id = p.case_id"
    " WHERE p.village_code >= ? AND p.village_code < ? AND a.visit_day >= ? AND a.visit_day <= ?"
    " UNION SELECT a.id, a.case_id, a.child_id, a.visitor_id, a.visit_day, a.slot FROM visitors v"
    " JOIN visit_assignments a ON a.visitor_id = v.id"
    " WHERE v.home_village_code >= ? AND v.home_village_code < ? AND a.visit_day >= ? AND a.visit_day <= ?"
    " ORDER BY visit_day, visitor_id, slot";

constexpr char kListAssignments[] =
    "SELECT id, case_id, child_id, visitor_id, visit_day, slot FROM visit_assignments"
    " WHERE visitor_id = ? AND visit_day >= ? AND visit_day <= ? ORDER BY visit_day, slot";

v1::Visitor VisitorFromRow(const db::Row& row) {
  v1::Visitor v;
  v.set_visitor_id(row.String(0));
  v.set_participant_id(row.String(1));
  v.set_organisation_id(row.String(2));
  v.set_home_village_code(row.String(3));
  v.set_available_saturday(row.Int(4) != 0);
  v.set_available_sunday(row.Int(5) != 0);
  v.set_daily_capacity(static_cast<int32_t>(row.Int(6)));
  return v;
}

absl::StatusOr<std::optional<v1::Visitor>> ReadVisitor(db::Session& session, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, session.QueryOne(kSelectVisitor, {id}));
  if (!row) return std::optional<v1::Visitor>();
  return std::optional<v1::Visitor>(VisitorFromRow(*row));
}

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

v1::Assignment AssignmentFromRow(const db::Row& row) {
  v1::Assignment a;
  a.set_assignment_id(row.String(0));
  a.set_case_id(row.String(1));
  a.set_child_id(row.String(2));
  a.set_visitor_id(row.String(3));
  a.set_visit_date(row.String(4));
  a.set_slot(static_cast<int32_t>(row.Int(5)));
  return a;
}

absl::StatusOr<CasePlan> ReadPlan(const db::Row& row) {
  CasePlan plan;
  plan.standing.case_id = row.String(0);
  plan.standing.child_id = row.String(1);
  plan.village_code = row.String(2);
  plan.organisation_id = row.String(3);
  const int64_t risk = row.Int(4);
  if (risk < 0 || risk >= kRiskLevels) return absl::InternalError("case_plans.risk out of range");
  plan.standing.risk = static_cast<RiskLevel>(risk);
  plan.standing.open = row.Int(5) != 0;
  ASSIGN_OR_RETURN(plan.standing.opened_on, ParseDay(row.String(6), "opened_on"));
  if (!row.IsNull(7)) {
    ASSIGN_OR_RETURN(absl::CivilDay last, ParseDay(row.String(7), "last_completed_visit"));
    plan.standing.last_completed_visit = last;
  }
  plan.standing.last_visitor_id = row.String(8);
  plan.last_event_sequence = row.Int(9);
  return plan;
}

absl::StatusOr<std::optional<CasePlan>> ReadOptionalPlan(const std::optional<db::Row>& row) {
  if (!row) return std::optional<CasePlan>();
  ASSIGN_OR_RETURN(CasePlan plan, ReadPlan(*row));
  return std::optional<CasePlan>(std::move(plan));
}

}  // namespace

absl::StatusOr<std::optional<CasePlan>> MariaDbVisitsStore::GetChildPlan(const std::string& child_id) {
  return db::ReadOne<std::optional<CasePlan>>(
      pool_, [&](db::Session& session) -> absl::StatusOr<std::optional<CasePlan>> {
        ASSIGN_OR_RETURN(std::optional<db::Row> row, session.QueryOne(kSelectChildPlan, {child_id}));
        return ReadOptionalPlan(row);
      });
}

absl::StatusOr<std::vector<CasePlan>> MariaDbVisitsStore::ListOverdue(const OverdueFilter& f) {
  std::vector<CasePlan> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query(kListOverdue, {f.division_prefix, DivisionPrefixEnd(f.division_prefix),
                                                  DayText(f.today), f.organisation_id, f.organisation_id,
                                                  f.page.after_id, int64_t{f.page.limit}}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(CasePlan plan, ReadPlan(row));
      out.push_back(std::move(plan));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::RegisterVisitorResponse> MariaDbVisitsStore::RegisterVisitor(const IdempotencyKey& key,
                                                                                const Actor& actor,
                                                                                const v1::Visitor& v) {
  return IdempotentTransaction<v1::RegisterVisitorResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::RegisterVisitorResponse> {
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(
            tx.Execute(kInsertVisitor, {id, v.participant_id(), v.organisation_id(), v.home_village_code(),
                                        int64_t{v.available_saturday()}, int64_t{v.available_sunday()},
                                        int64_t{v.daily_capacity()}, actor.subject, ToSqlTimestamp(actor.at)})
                .status());
        v1::RegisterVisitorResponse response;
        ASSIGN_OR_RETURN(std::optional<v1::Visitor> written, ReadVisitor(tx, id));
        if (!written) return tx.WriteVanished("the visitor");
        *response.mutable_visitor() = *std::move(written);
        return response;
      });
}

absl::StatusOr<std::optional<v1::Visitor>> MariaDbVisitsStore::GetVisitor(const std::string& visitor_id) {
  return db::ReadOne<std::optional<v1::Visitor>>(
      pool_, [&](db::Session& session) { return ReadVisitor(session, visitor_id); });
}

absl::StatusOr<std::vector<CasePlan>> MariaDbVisitsStore::ListDueBy(const std::string& division_prefix,
                                                                    const std::string& organisation_id,
                                                                    absl::CivilDay last_day) {
  std::vector<CasePlan> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query(kListDueBy, {division_prefix, DivisionPrefixEnd(division_prefix),
                                                DayText(last_day), organisation_id, organisation_id}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(CasePlan plan, ReadPlan(row));
      out.push_back(std::move(plan));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::Visitor>> MariaDbVisitsStore::ListVisitorsIn(
    const std::string& division_prefix, const std::string& organisation_id) {
  std::vector<v1::Visitor> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query(kListVisitorsIn, {division_prefix, DivisionPrefixEnd(division_prefix),
                                                     organisation_id, organisation_id}));
    for (const db::Row& row : rows) out.push_back(VisitorFromRow(row));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<VisitorReleases> MariaDbVisitsStore::ReleasesIn(const std::string& division_prefix,
                                                               const std::string& organisation_id) {
  VisitorReleases out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query(kListReleasesIn, {division_prefix, DivisionPrefixEnd(division_prefix),
                                                     organisation_id, organisation_id}));
    for (const db::Row& row : rows) out[row.String(0)] = ReleaseCounts{row.Int(1), row.Int(2)};
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::PlanWeekendResponse> MariaDbVisitsStore::StoreWeekendPlan(
    const IdempotencyKey& key, const Actor& actor, absl::CivilDay first, absl::CivilDay last,
    const VisitorReleases& releases_seen, const CasesSeen& cases_seen, v1::PlanWeekendResponse answer) {
  std::vector<std::string> households;  // sorted, once each: every plan locks its cases in the same order
  std::vector<std::string> visitors;    // and its visitors
  absl::flat_hash_map<std::string, absl::CivilDay> last_visit_day;  // each visitor's last day in the plan
  for (const v1::Assignment& a : answer.assignments()) {
    households.push_back(a.case_id());
    visitors.push_back(a.visitor_id());
    ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay(a.visit_date(), "visit_date"));
    auto [it, inserted] = last_visit_day.try_emplace(a.visitor_id(), day);
    if (!inserted) it->second = std::max(it->second, day);
  }
  for (std::vector<std::string>* ids : {&households, &visitors}) {
    std::sort(ids->begin(), ids->end());
    ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  }
  absl::StatusOr<v1::PlanWeekendResponse> stored = IdempotentTransaction<v1::PlanWeekendResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::PlanWeekendResponse> {
        absl::flat_hash_map<std::string, std::string> planned_village;  // each household's, read locked
        // A visitor taken off their visits after this plan judged them (their count of releases moved; for a
        // release from a later day, one reaching a day the plan has them visit) is not sent: the release
        // found no visit of this plan to take back. Checked under the visitor's row,
        // which the release writes too, so a release after this check waits for the plan and then takes
        // its visits back.
        RETURN_IF_ERROR(ForEachIdChunk(visitors, [&](const std::string& list, std::vector<db::Value> ids) {
          RETURN_IF_ERROR(tx.Execute(absl::StrCat(kLockVisitorsForPlanningHead, list, ")"), ids).status());
          ASSIGN_OR_RETURN(db::Rows rows, tx.Query(absl::StrCat(kVisitorsReleasesHead, list, ")"), ids));
          absl::flat_hash_map<std::string, ReleasesNow> now;
          for (const db::Row& row : rows) {
            ReleasesNow& r = now[row.String(0)];
            r.counts = ReleaseCounts{row.Int(1), row.Int(2)};
            if (!row.IsNull(3)) {
              ASSIGN_OR_RETURN(r.later_from, ParseDay(row.String(3), "later_release_from"));
            }
          }
          for (const db::Value& id : ids) {
            const std::string& visitor_id = std::get<std::string>(id);
            // A visitor registered after the counts were read was never released before it: 0.
            auto seen = releases_seen.find(visitor_id);
            auto current = now.find(visitor_id);
            if (current == now.end() ||
                !PlanStillHolds(seen == releases_seen.end() ? ReleaseCounts{} : seen->second, current->second,
                                last_visit_day.at(visitor_id))) {
              return absl::AbortedError(
                  "a visitor of this plan was taken off visits while it was made; plan the weekend again");
            }
          }
          return absl::OkStatus();
        }));
        RETURN_IF_ERROR(ForEachIdChunk(households, [&](const std::string& list, std::vector<db::Value> ids) {
          RETURN_IF_ERROR(tx.Execute(absl::StrCat(kLockCasesForPlanningHead, list, ")"), ids).status());
          // Under the households' locks, which the registry's follower takes too (LockCasePlans): an event
          // folded after the plan read the case (a close, a transfer, a move) would have its visits undone.
          ASSIGN_OR_RETURN(db::Rows folded, tx.Query(absl::StrCat(kCasesLastEventHead, list, ")"), ids));
          absl::flat_hash_map<std::string, int64_t> now;
          for (const db::Row& row : folded) {
            now[row.String(0)] = row.Int(1);
            planned_village[row.String(0)] = row.String(2);
          }
          for (const db::Value& id : ids) {
            auto seen = cases_seen.find(std::get<std::string>(id));
            auto current = now.find(std::get<std::string>(id));
            if (seen == cases_seen.end() || current == now.end() || current->second != seen->second) {
              return absl::AbortedError(
                  "a household of this plan had its case changed while it was made; plan the weekend again");
            }
          }
          ids.push_back(DayText(first));
          ids.push_back(DayText(last));
          ASSIGN_OR_RETURN(
              std::optional<db::Row> placed,
              tx.QueryOne(absl::StrCat(kCasesVisitInWeekendHead, list, kCasesVisitInWeekendTail), ids));
          if (placed) {
            return absl::AbortedError(
                "a household of this plan was planned by another plan meanwhile; plan the weekend again");
          }
          return absl::OkStatus();
        }));
        v1::PlanWeekendResponse written = answer;
        const std::string now = ToSqlTimestamp(actor.at);
        std::vector<db::Value> rows;
        rows.reserve(static_cast<size_t>(written.assignments_size()) * kAssignmentWidth);
        for (v1::Assignment& a : *written.mutable_assignments()) {
          a.set_assignment_id(ids_.Next());
          rows.insert(rows.end(),
                      {a.assignment_id(), a.case_id(), a.child_id(), a.visitor_id(), a.visit_date(),
                       int64_t{a.slot()}, planned_village.at(a.case_id()), actor.subject, now});
        }
        RETURN_IF_ERROR(
            db::InsertRows(tx, kInsertAssignmentsHead, kAssignmentRow, kAssignmentWidth, rows).status());
        return written;
      });
  if (stored.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::AbortedError("a visitor's day was booked by another plan meanwhile; plan the weekend again");
  }
  return stored;
}

absl::StatusOr<std::vector<v1::Assignment>> MariaDbVisitsStore::ListAssignments(const std::string& visitor_id,
                                                                                absl::CivilDay first,
                                                                                absl::CivilDay last) {
  std::vector<v1::Assignment> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query(kListAssignments, {visitor_id, DayText(first), DayText(last)}));
    for (const db::Row& row : rows) out.push_back(AssignmentFromRow(row));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::Assignment>> MariaDbVisitsStore::ListAssignmentsIn(
    const std::string& division_prefix, absl::CivilDay first, absl::CivilDay last) {
  std::vector<v1::Assignment> out;
  const std::string end = DivisionPrefixEnd(division_prefix);
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(kListAssignmentsIn,
                                                  {division_prefix, end, DayText(first), DayText(last),
                                                   division_prefix, end, DayText(first), DayText(last)}));
    for (const db::Row& row : rows) out.push_back(AssignmentFromRow(row));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<absl::flat_hash_map<std::string, CasePlan>> MariaDbVisitsStore::LockCasePlans(
    db::Session& tx, const std::vector<std::string>& case_ids) {
  absl::flat_hash_map<std::string, CasePlan> plans;
  if (case_ids.empty()) return plans;
  std::vector<db::Value> params(case_ids.begin(), case_ids.end());
  db::PadEntries(params, 0, 1, case_ids.size());
  ASSIGN_OR_RETURN(db::Rows rows,
                   tx.Query(absl::StrCat(kLockCasePlansHead, db::PaddedList("?", ", ", case_ids.size()),
                                         kLockCasePlansTail),
                            params));
  for (const db::Row& row : rows) {
    ASSIGN_OR_RETURN(CasePlan plan, ReadPlan(row));
    std::string case_id = plan.standing.case_id;
    plans.emplace(std::move(case_id), std::move(plan));
  }
  return plans;
}

absl::Status MariaDbVisitsStore::SaveCasePlans(db::Session& tx, const std::vector<PlanToSave>& plans,
                                               absl::Time now) {
  if (plans.empty()) return absl::OkStatus();
  std::vector<db::Value> params;
  params.reserve(plans.size() * kSaveCasePlansWidth);
  const std::string updated_at = ToSqlTimestamp(now);
  for (const auto& [plan, next] : plans) {
    const CaseStanding& s = plan.standing;
    params.insert(
        params.end(),
        {s.case_id, s.child_id, plan.village_code, plan.organisation_id, static_cast<int64_t>(s.risk),
         static_cast<int64_t>(s.open ? 1 : 0), DayText(s.opened_on),
         s.last_completed_visit ? db::Value(DayText(*s.last_completed_visit)) : db::Value(db::Null{}),
         s.last_visitor_id, plan.last_event_sequence,
         next ? db::Value(DayText(next->due_day)) : db::Value(db::Null{}),
         next ? db::Value(static_cast<int64_t>(next->kind)) : db::Value(db::Null{}), updated_at});
  }
  return db::InsertRows(tx, kSaveCasePlansHead, kSaveCasePlansRow, kSaveCasePlansWidth, params,
                        kSaveCasePlansTail)
      .status();
}

absl::Status MariaDbVisitsStore::FollowCompletedVisits(db::Session& tx, const std::string& child_id,
                                                       const std::string& case_id,
                                                       const CadencePolicy& cadence, absl::Time now) {
  ASSIGN_OR_RETURN(auto plans, LockCasePlans(tx, {case_id}));
  auto found = plans.find(case_id);
  if (found == plans.end()) return absl::OkStatus();
  CasePlan& plan = found->second;
  CaseStanding& standing = plan.standing;
  ASSIGN_OR_RETURN(std::optional<db::Row> last,
                   tx.QueryOne(kLastCompletedVisit, {child_id, case_id, int64_t{v1::VISIT_OUTCOME_COMPLETED},
                                                     DayText(standing.opened_on)}));
  std::optional<absl::CivilDay> day;
  std::string visitor_id;
  if (last) {
    ASSIGN_OR_RETURN(day, ParseDay(last->String(0), "visit_day"));
    visitor_id = last->String(1);
  }
  if (day == standing.last_completed_visit && visitor_id == standing.last_visitor_id) return absl::OkStatus();
  standing.last_completed_visit = day;
  standing.last_visitor_id = visitor_id;
  std::optional<VisitDue> next = NextVisitDue(cadence, standing, ShanghaiDay(now));
  return SaveCasePlans(tx, {{std::move(plan), next}}, now);
}

absl::StatusOr<int64_t> MariaDbVisitsStore::RepairCompletedVisits(std::string& after_case_id, int64_t limit,
                                                                  const CadencePolicy& cadence,
                                                                  absl::Time now) {
  int64_t walked = 0;
  std::string last;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    walked = 0;
    last = after_case_id;
    ASSIGN_OR_RETURN(std::optional<db::Row> finished,
                     tx.QueryOne(kRepairFinished, {std::string(kCompletedVisitsRepair)}));
    if (finished) return absl::OkStatus();
    ASSIGN_OR_RETURN(db::Rows plans, tx.Query(kPlansBehindTheirReports,
                                              {int64_t{v1::VISIT_OUTCOME_COMPLETED}, after_case_id, limit}));
    for (const db::Row& plan : plans) {
      last = plan.String(0);
      ++walked;
      if (plan.Int(2) == 0) continue;
      RETURN_IF_ERROR(FollowCompletedVisits(tx, plan.String(1), last, cadence, now));
    }
    if (walked == limit) return absl::OkStatus();
    return tx.Execute(kRecordRepairFinished, {std::string(kCompletedVisitsRepair), ToSqlTimestamp(now)})
        .status();
  }));
  after_case_id = last;
  return walked;
}

}  // namespace shouhu::visits
