#include "services/visits/field_visit_store.h"

#include <cmath>
#include <set>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/visits/assignment_release.h"
#include "services/visits/visits_store.h"
#include "shouhu/visits/storage/v1/report_body.pb.h"
#include "shouhu/visits/v1/events.pb.h"

namespace shouhu::visits {
namespace {

// Whether a safeguarding concern holds the visitor `v` (open or upheld, as ListVisitorsIn reads it,
// visits_store.cc): AssignmentParties::visitor_held.
constexpr char kVisitorHeld[] =
    "EXISTS (SELECT 1 FROM safeguarding_concerns sc WHERE sc.visitor_id = v.id AND sc.state IN (1, 2))";

// The assignment with the household's village and the visitor's organisation and person: who it belongs to.
// The village is the one the visit was made in: its check-in's (visit_contacts), else the one it was planned
// in (visits 0044). A case moved since (another county, another village) leaves its visit made with the
// visitor who made it, whose check-out and report, often sent days later and the report sometimes without a
// check-in (a family that refused at the gate), are judged where they were. The case's current village only
// for a row an older replica planned without its village.
const std::string kSelectAssignment = absl::StrCat(
    "SELECT a.id, a.case_id, a.child_id, a.visitor_id, a.visit_day, a.slot,"
    " COALESCE(c.village_code, a.village_code, p.village_code), v.organisation_id, v.participant_id, ",
    kVisitorHeld,
    " FROM visit_assignments a JOIN case_plans p ON p.case_id = a.case_id JOIN visitors v ON v.id ="
    " a.visitor_id LEFT JOIN visit_contacts c ON c.assignment_id = a.id WHERE a.id = ?");

// The assignment's row, locked before a check-in: a release (assignment_release.cc) holding it finishes
// first, and the check-in then finds the visit gone rather than admitting a person just taken off it. The
// lock is taken by writing the row (visits migration 0043): on Galera a row lock holds only on its own node
// and only written rows are certified, so a release deleting the row on another node conflicts with this
// write and one of the two is retried. 1 row matched: the visit is there; 0: it is not.
constexpr char kLockAssignment[] =
    "UPDATE visit_assignments SET lock_version = lock_version + 1 WHERE id = ?";

constexpr char kLockContact[] =
    "SELECT checked_in_at, checked_out_at FROM visit_contacts WHERE assignment_id = ? FOR UPDATE";

// A released visit (assignment_release.cc) with who it belonged to and when and why it was taken back,
// locked: two late check-ins of it (a phone's retry under a new request id) restore it once. Its village is
// the one it was planned in: a move releases the case's visits, and the check-in of the visit made before it
// is judged there, not where the case went (the case's current village only for a row released without it).
const std::string kLockReleased = absl::StrCat(
    "SELECT r.id, r.case_id, r.child_id, r.visitor_id, r.visit_day, r.slot,"
    " COALESCE(r.village_code, p.village_code), v.organisation_id, v.participant_id, ",
    kVisitorHeld,
    ", r.released_at, r.released_because, r.village_code IS NULL FROM released_assignments r"
    " JOIN case_plans p ON p.case_id = r.case_id JOIN visitors v ON v.id = r.visitor_id WHERE r.id = ?"
    " FOR UPDATE");
// Where the case's household was visited last before a release (a check-in records the village it was made
// in): the latest check-in of the case on or before the visit's day that came before the release.
constexpr char kCaseVillageAtLastCheckIn[] =
    "SELECT c.village_code FROM visit_assignments e JOIN visit_contacts c ON c.assignment_id = e.id"
    " WHERE e.case_id = ? AND e.visit_day <= ? AND c.checked_in_at < ?"
    " ORDER BY e.visit_day DESC, c.checked_in_at DESC LIMIT 1";
// The visitor's slots taken that day, locked (the visitor_slot key's range): a plan placing them meanwhile
// waits, so the slot chosen from these stays free.
constexpr char kLockVisitorDaySlots[] =
    "SELECT slot FROM visit_assignments WHERE visitor_id = ? AND visit_day = ? FOR UPDATE";
// Back among the visits, in the slot and with the village given (VillageOfReleased's), its release kept as
// the record of what happened; planned_by says it came back.
constexpr char kRestoreReleased[] =
    "INSERT INTO visit_assignments (id, case_id, child_id, visitor_id, visit_day, slot, village_code,"
    " planned_by, created_at) SELECT id, case_id, child_id, visitor_id, visit_day, ?, ?,"
    " CONCAT('restored:', released_because), ? FROM released_assignments WHERE id = ?";

// Verification after payment. IGNORE: a payment asked about before keeps its first row (a replay).
constexpr char kInsertVerification[] =
    "INSERT IGNORE INTO payment_verifications (payment_id, program_id, child_id, division_code,"
    " allowance_type, amount_fen, paid_on, requested_sequence, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
    "?)";
constexpr char kPendingVerificationsOfChild[] =
    "SELECT payment_id, allowance_type, amount_fen, paid_on FROM payment_verifications"
    " WHERE child_id = ? AND result = 0 ORDER BY payment_id";
constexpr char kLockVerification[] =
    "SELECT child_id, program_id, division_code, result FROM payment_verifications WHERE payment_id = ?"
    " FOR UPDATE";
constexpr char kRecordVerification[] =
    "UPDATE payment_verifications SET result = ?, note = ?, assignment_id = ?, recorded_by = ?, recorded_at "
    "= ?"
    " WHERE payment_id = ? AND result = 0";

constexpr char kInsertContact[] =
    "INSERT INTO visit_contacts (assignment_id, case_id, child_id, visitor_id, village_code, organisation_id,"
    " visit_day, slot, checked_in_at, check_in_lat_e6, check_in_lng_e6, slot_ends_at, checked_in_by,"
    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

constexpr char kCheckOut[] =
    "UPDATE visit_contacts SET checked_out_at = ?, check_out_lat_e6 = ?, check_out_lng_e6 = ?,"
    " contact_result = ?, child_seen = ?, guardians_seen = ?, others_seen = ?, updated_at = ?"
    " WHERE assignment_id = ? AND checked_out_at IS NULL";

// One VisitRecord per assignment: the columns RecordFromRow reads, in its order. Its village is the one the
// visit was made in, as kSelectAssignment admits it: a visit made in Wuding stays Wuding's record when the
// child moves to Xixia (the old county keeps its work record; the new one sees the visits made in its
// jurisdiction, and the child's case, risk and follow-ups through the registry).
constexpr char kRecordColumns[] =
    "SELECT a.id, a.case_id, a.child_id, a.visitor_id, a.visit_day, a.slot,"
    " COALESCE(c.village_code, a.village_code, p.village_code), v.organisation_id,"
    " c.checked_in_at, c.check_in_lat_e6, c.check_in_lng_e6, c.checked_out_at, c.check_out_lat_e6,"
    " c.check_out_lng_e6, c.contact_result, c.child_seen, c.guardians_seen, c.others_seen, r.id"
    " FROM visit_assignments a JOIN case_plans p ON p.case_id = a.case_id JOIN visitors v ON v.id = "
    "a.visitor_id"
    " LEFT JOIN visit_contacts c ON c.assignment_id = a.id LEFT JOIN visit_reports r ON r.assignment_id = "
    "a.id";

const std::string kSelectRecord = absl::StrCat(kRecordColumns, " WHERE a.id = ?");

// A child's visits, newest first; the page continues below the token's (day, id). A child has a few
// visits a month, so the edge judges scope per record (a caller may hold several jurisdictions).
const std::string kListChildVisits =
    absl::StrCat(kRecordColumns, " WHERE a.child_id = ? ORDER BY a.visit_day DESC, a.id DESC LIMIT ?");
const std::string kListChildVisitsAfter = absl::StrCat(
    kRecordColumns,
    " WHERE a.child_id = ?"
    " AND (a.visit_day, a.id) < (SELECT t.visit_day, t.id FROM visit_assignments t WHERE t.id = ?)"
    " ORDER BY a.visit_day DESC, a.id DESC LIMIT ?");

const std::string kReportColumns = absl::StrCat(
    "SELECT r.id, r.assignment_id, r.case_id, r.child_id, r.visitor_id, r.village_code, r.organisation_id,"
    " r.visit_day, r.version, r.outcome, r.body, r.submitted_hash, r.content_hash, r.updated_at,"
    " v.participant_id, r.body_sealed, ",
    kVisitorHeld, " FROM visit_reports r JOIN visitors v ON v.id = r.visitor_id WHERE r.id = ?");
const std::string kLockReport = absl::StrCat(kReportColumns, " FOR UPDATE");

constexpr char kInsertReport[] =
    "INSERT INTO visit_reports (id, assignment_id, case_id, child_id, visitor_id, village_code, "
    "organisation_id,"
    " visit_day, version, outcome, body_sealed, submitted_hash, content_hash, created_by, created_at,"
    " updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)";

constexpr char kUpdateReport[] =
    "UPDATE visit_reports SET version = ?, outcome = ?, body = NULL, body_sealed = ?, content_hash = ?,"
    " updated_by = ?, updated_at = ? WHERE id = ? AND version = ?";

// Reports written before their content was sealed (visits migration 0021), in id order after a cursor.
constexpr char kPlainReports[] =
    "SELECT id, body FROM visit_reports WHERE id > ? AND body IS NOT NULL ORDER BY id LIMIT ? FOR UPDATE";
constexpr char kSealReport[] = "UPDATE visit_reports SET body = NULL, body_sealed = ? WHERE id = ?";

// Made / attempted per household visit (a case on a day: both visitors of a team count once), then per
// county and month. People seen: the most any visitor of the visit recorded.
constexpr char kStatistics[] =
    "SELECT county, month, SUM(made), SUM(1 - made), SUM(persons), COUNT(DISTINCT CASE WHEN made = 1 THEN"
    " child_id END) FROM (SELECT SUBSTRING(village_code, 1, 6) AS county, DATE_FORMAT(visit_day, '%Y-%m') AS"
    " month, case_id, visit_day, child_id, MAX(CASE WHEN contact_result = 1 THEN 1 ELSE 0 END) AS made,"
    " MAX(CASE WHEN contact_result = 1 THEN child_seen + guardians_seen + others_seen ELSE 0 END) AS persons"
    " FROM visit_contacts WHERE village_code >= ? AND village_code < ? AND visit_day >= ? AND visit_day <= ?"
    " AND contact_result <> 0 AND (? = '' OR organisation_id = ?)"
    " GROUP BY county, month, case_id, visit_day, child_id) visits GROUP BY county, month ORDER BY county, "
    "month";

constexpr char kMissingCheckOuts[] =
    "SELECT assignment_id FROM visit_contacts WHERE check_out_alerted_at IS NULL AND checked_out_at IS NULL"
    " AND slot_ends_at <= ? ORDER BY assignment_id LIMIT ?";

constexpr char kLockOpenContact[] =
    "SELECT case_id, child_id, visitor_id, village_code, organisation_id, checked_in_at, slot_ends_at"
    " FROM visit_contacts WHERE assignment_id = ? AND check_out_alerted_at IS NULL AND checked_out_at IS NULL"
    " FOR UPDATE";

constexpr char kMarkAlerted[] = "UPDATE visit_contacts SET check_out_alerted_at = ? WHERE assignment_id = ?";

// Candidates read per round of the sweep; each is then alerted in its own short transaction.
constexpr int64_t kSweepBatch = 500;

struct AssignmentRow {
  v1::Assignment assignment;
  absl::CivilDay day;
  AssignmentParties parties;
};

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

db::Value Micro(const std::optional<v1::GeoPoint>& p, bool latitude) {
  if (!p) return db::Null{};
  return static_cast<int64_t>(std::llround((latitude ? p->latitude() : p->longitude()) * 1e6));
}

// An assignment's row as kSelectAssignment and kLockReleased read it (their first ten columns).
absl::StatusOr<AssignmentRow> AssignmentFromRow(const db::Row& row) {
  AssignmentRow out;
  out.assignment.set_assignment_id(row.String(0));
  out.assignment.set_case_id(row.String(1));
  out.assignment.set_child_id(row.String(2));
  out.assignment.set_visitor_id(row.String(3));
  out.assignment.set_visit_date(row.String(4));
  out.assignment.set_slot(static_cast<int32_t>(row.Int(5)));
  ASSIGN_OR_RETURN(out.day, ParseDay(row.String(4), "visit_day"));
  out.parties.village_code = row.String(6);
  out.parties.organisation_id = row.String(7);
  out.parties.participant_id = row.String(8);
  out.parties.visitor_held = row.Int(9) != 0;
  return out;
}

// The village a released visit (kLockReleased's row) is judged on: the one it was planned in. A visit a move
// released without it (before visits 0044 kept it, or by an older replica) was planned where the case lived
// before the move, and the case's village now is the one it moved to: judged there, the late check-in and
// report of the visitor who made it were NOT_FOUND and a caller of the new place could put the visit back.
// Such a visit takes the village of the case's last check-in before the release (a village the household
// was visited in; wrong only if the case had moved village between that check-in and this visit's plan),
// else the case's village now, as before.
absl::StatusOr<std::string> VillageOfReleased(db::Session& tx, const db::Row& row) {
  if (row.Int(12) == 0 || !ReleasedByMove(row.String(11))) return row.String(6);
  ASSIGN_OR_RETURN(std::optional<db::Row> seen,
                   tx.QueryOne(kCaseVillageAtLastCheckIn, {row.String(1), row.String(4), row.String(10)}));
  return seen ? seen->String(0) : row.String(6);
}

absl::StatusOr<std::optional<AssignmentRow>> ReadAssignment(db::Session& tx, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kSelectAssignment, {id}));
  if (!row) return std::optional<AssignmentRow>();
  ASSIGN_OR_RETURN(AssignmentRow out, AssignmentFromRow(*row));
  return std::optional<AssignmentRow>(std::move(out));
}

// The assignment, or NOT_FOUND — also when the caller may not act on it (the same answer: existence does
// not leak).
absl::StatusOr<AssignmentRow> AdmittedAssignment(db::Session& tx, const std::string& id,
                                                 const Admission& admit) {
  ASSIGN_OR_RETURN(std::optional<AssignmentRow> row, ReadAssignment(tx, id));
  if (!row) return absl::NotFoundError("assignment not found");
  RETURN_IF_ERROR(admit(row->parties));
  return *std::move(row);
}

// A visit taken back after its visitor had checked in at the household, their phone without signal: the
// check-in, arriving later, names a time before the release. The visit was made and its record (check-in,
// check-out, the report with what was seen) must not be lost, so the assignment is put back and the check-in
// taken; the release stays on record beside it. A check-in at or after the release is FAILED_PRECONDITION:
// the visit was no longer the visitor's to make. NOT_FOUND when there is no such released visit or the
// caller may not act on it.
absl::StatusOr<AssignmentRow> RestoreIfBegunBeforeRelease(db::Session& tx, const std::string& id,
                                                          const CheckInCommand& command,
                                                          const Admission& admit, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockReleased, {id}));
  if (!row) return absl::NotFoundError("assignment not found");
  // Put back meanwhile by another late check-in (a retry under a new request id), which held this lock.
  ASSIGN_OR_RETURN(uint64_t planned, tx.Execute(kLockAssignment, {id}));
  if (planned > 0) return AdmittedAssignment(tx, id, admit);
  ASSIGN_OR_RETURN(AssignmentRow a, AssignmentFromRow(*row));
  ASSIGN_OR_RETURN(a.parties.village_code, VillageOfReleased(tx, *row));
  RETURN_IF_ERROR(admit(a.parties));
  ASSIGN_OR_RETURN(absl::Time released_at, FromSqlTimestamp(row->String(10)));
  ASSIGN_OR_RETURN(absl::Time at, command.at(a.day));
  if (at >= released_at) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the visit was withdrawn at ", absl::FormatTime(absl::RFC3339_sec, released_at, absl::UTCTimeZone()),
        ", before this check-in: it is no longer yours to make (a check-in naming an earlier time is "
        "taken)"));
  }
  // Planned again since the release, the visitor may hold its slot with another household: slots are an
  // order, not an appointment, so the visit made comes back in their next free one. Refused for the slot, the
  // visit's record (check-in, check-out, report) was lost.
  ASSIGN_OR_RETURN(db::Rows taken,
                   tx.Query(kLockVisitorDaySlots, {a.assignment.visitor_id(), DayText(a.day)}));
  std::set<int64_t> used;
  for (const db::Row& row : taken) used.insert(row.Int(0));
  int64_t slot = a.assignment.slot();
  while (used.count(slot) > 0) ++slot;
  RETURN_IF_ERROR(
      tx.Execute(kRestoreReleased, {slot, a.parties.village_code, ToSqlTimestamp(now), id}).status());
  a.assignment.set_slot(static_cast<int32_t>(slot));
  return a;
}

// A report for a visit released before any check-in of it reached the server (a phone without signal sends
// the report alone, or the check-in failed to send): the report cannot say the visit was made before the
// release, its check-in can (RestoreIfBegunBeforeRelease puts the visit back). FAILED_PRECONDITION naming
// assignment_id and saying so, for the phone to send the check-in first and then the report; NOT_FOUND would
// read as "nothing to send it to", and the record would be dropped. OK when there is no such released visit
// or the caller may not act on it (the caller's NOT_FOUND stands).
absl::Status RefuseReportOfWithdrawnVisit(db::Session& tx, const std::string& id, const Admission& admit) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockReleased, {id}));
  if (!row) return absl::OkStatus();
  ASSIGN_OR_RETURN(AssignmentRow a, AssignmentFromRow(*row));
  ASSIGN_OR_RETURN(a.parties.village_code, VillageOfReleased(tx, *row));
  if (!admit(a.parties).ok()) return absl::OkStatus();
  ASSIGN_OR_RETURN(absl::Time released_at, FromSqlTimestamp(row->String(10)));
  absl::Status status = absl::FailedPreconditionError(absl::StrCat(
      "assignment_id: the visit was withdrawn at ",
      absl::FormatTime(absl::RFC3339_sec, released_at, absl::UTCTimeZone()),
      " before any check-in of it reached us; send its check-in first, naming when the visit began (a time "
      "before that puts the visit back), then the report"));
  status.SetPayload(kFieldPayload, absl::Cord("assignment_id"));
  return status;
}

void ReadPoint(const db::Row& row, size_t lat, v1::GeoPoint* out) {
  out->set_latitude(static_cast<double>(row.Int(lat)) / 1e6);
  out->set_longitude(static_cast<double>(row.Int(lat + 1)) / 1e6);
}

absl::StatusOr<v1::VisitRecord> RecordFromRow(const db::Row& row) {
  v1::VisitRecord r;
  v1::Assignment* a = r.mutable_assignment();
  a->set_assignment_id(row.String(0));
  a->set_case_id(row.String(1));
  a->set_child_id(row.String(2));
  a->set_visitor_id(row.String(3));
  a->set_visit_date(row.String(4));
  a->set_slot(static_cast<int32_t>(row.Int(5)));
  r.set_village_code(row.String(6));
  r.set_organisation_id(row.String(7));
  if (!row.IsNull(8)) RETURN_IF_ERROR(ReadTimestamp(row, 8, r.mutable_checked_in_at()));
  if (!row.IsNull(9)) ReadPoint(row, 9, r.mutable_check_in_location());
  if (!row.IsNull(11)) RETURN_IF_ERROR(ReadTimestamp(row, 11, r.mutable_checked_out_at()));
  if (!row.IsNull(12)) ReadPoint(row, 12, r.mutable_check_out_location());
  if (!row.IsNull(14) && row.Int(14) != 0) {
    v1::Contact* c = r.mutable_contact();
    c->set_result(static_cast<v1::ContactResult>(row.Int(14)));
    c->set_child_seen(row.Int(15) != 0);
    c->set_guardians_seen(static_cast<int32_t>(row.Int(16)));
    c->set_others_seen(static_cast<int32_t>(row.Int(17)));
  }
  r.set_report_id(row.String(18));
  return r;
}

absl::StatusOr<v1::VisitRecord> ReadRecord(db::Session& tx, const std::string& assignment_id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kSelectRecord, {assignment_id}));
  if (!row) return tx.WriteVanished("the visit record");
  return RecordFromRow(*row);
}

// The report's content as the store keeps it (storage/v1/report_body.proto), and back.
std::string BodyOf(const v1::VisitReport& r) {
  storage::v1::ReportBody body;
  for (const v1::Observation& o : r.observations()) {
    storage::v1::Observation* s = body.add_observations();
    s->set_aspect(o.aspect());
    s->set_rating(o.rating());
    s->set_note(o.note());
  }
  for (int sign : r.danger_signs()) body.add_danger_signs(sign);
  for (const v1::NeedFound& n : r.needs()) {
    storage::v1::Need* s = body.add_needs();
    s->set_kind(n.kind());
    s->set_urgent(n.urgent());
    s->set_estimated_amount_fen(n.estimated_amount_fen());
    s->set_note(n.note());
  }
  for (const v1::FollowUpTask& t : r.follow_ups()) {
    storage::v1::FollowUp* s = body.add_follow_ups();
    s->set_description(t.description());
    s->set_owner(t.owner());
    s->set_due_date(t.due_date());
  }
  body.set_summary(r.summary());
  return body.SerializeAsString();
}

// A report's content: what BodyOf stores.
void ClearContent(v1::VisitReport& r) {
  r.clear_observations();
  r.clear_danger_signs();
  r.clear_needs();
  r.clear_follow_ups();
  r.clear_summary();
}

// The content as stored: sealed to the report's id (the columns are body, body_sealed).
std::string SealedBodyOf(const v1::VisitReport& r, const PiiCrypto& crypto) {
  return crypto.Seal(BodyOf(r), r.report_id());
}

absl::Status FillFromBody(const std::string& bytes, v1::VisitReport& r) {
  storage::v1::ReportBody body;
  if (!body.ParseFromString(bytes)) return absl::DataLossError("visit_reports.body is unreadable");
  for (const storage::v1::Observation& s : body.observations()) {
    v1::Observation* o = r.add_observations();
    o->set_aspect(static_cast<v1::ObservationAspect>(s.aspect()));
    o->set_rating(static_cast<v1::ObservationRating>(s.rating()));
    o->set_note(s.note());
  }
  for (int sign : body.danger_signs()) r.add_danger_signs(static_cast<v1::DangerSign>(sign));
  for (const storage::v1::Need& s : body.needs()) {
    v1::NeedFound* n = r.add_needs();
    n->set_kind(static_cast<v1::UrgentNeedKind>(s.kind()));
    n->set_urgent(s.urgent());
    n->set_estimated_amount_fen(s.estimated_amount_fen());
    n->set_note(s.note());
  }
  for (const storage::v1::FollowUp& s : body.follow_ups()) {
    v1::FollowUpTask* t = r.add_follow_ups();
    t->set_description(s.description());
    t->set_owner(s.owner());
    t->set_due_date(s.due_date());
  }
  r.set_summary(body.summary());
  return absl::OkStatus();
}

struct ReportRow {
  StoredReport stored;
  std::string submitted_hash;
  std::string content_hash;
};

absl::StatusOr<std::optional<ReportRow>> ReadReport(db::Session& tx, absl::string_view sql,
                                                    const std::string& id, const PiiCrypto& crypto) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(sql, {id}));
  if (!row) return std::optional<ReportRow>();
  ReportRow out;
  v1::VisitReport& r = out.stored.report;
  r.set_report_id(row->String(0));
  r.set_assignment_id(row->String(1));
  r.set_case_id(row->String(2));
  r.set_child_id(row->String(3));
  r.set_visitor_id(row->String(4));
  out.stored.parties.village_code = row->String(5);
  out.stored.parties.organisation_id = row->String(6);
  r.set_visit_date(row->String(7));
  r.set_version(row->Int(8));
  r.set_outcome(static_cast<v1::VisitOutcome>(row->Int(9)));
  if (row->IsNull(15)) {
    RETURN_IF_ERROR(FillFromBody(row->String(10), r));  // not sealed yet (written before migration 0021)
  } else {
    absl::StatusOr<std::string> body = crypto.Open(row->String(15), r.report_id());
    if (!body.ok()) return absl::DataLossError("visit_reports.body_sealed does not open under the PII key");
    RETURN_IF_ERROR(FillFromBody(*body, r));
  }
  out.submitted_hash = row->String(11);
  out.content_hash = row->String(12);
  RETURN_IF_ERROR(ReadTimestamp(*row, 13, r.mutable_updated_at()));
  out.stored.parties.participant_id = row->String(14);
  out.stored.parties.visitor_held = row->Int(16) != 0;
  return std::optional<ReportRow>(std::move(out));
}

// Where the child of `case_id` lives now: the case's village as the registry's events have moved it
// (case_plans), read under the case's lock as FollowCompletedVisits takes it, so a move folded at the same
// moment either committed first and is read, or waits for this report. `visit_village` when visits holds no
// plan of the case.
absl::StatusOr<std::string> VillageTheChildLivesIn(db::Session& tx, const std::string& case_id,
                                                   const std::string& visit_village) {
  ASSIGN_OR_RETURN(auto plans, MariaDbVisitsStore::LockCasePlans(tx, {case_id}));
  auto found = plans.find(case_id);
  return found == plans.end() ? visit_village : found->second.village_code;
}

// The events a report's version raises, appended last in its transaction: the report stored, then danger
// signs and urgent needs that `before` (the previous version; nullptr when new) did not hold. The report and
// its danger signs carry the village the visit was made in (its record); an urgent need carries the one the
// child lives in when it is raised: the allowance service drafts the relief in a program of that village's
// jurisdiction, and after a move (CaseMovedCounty) the old county's programs no longer serve the child and
// its officers never see the new county's.
absl::Status AppendReportEvents(db::Session& tx, Outbox& outbox, const v1::VisitReport* before,
                                const v1::VisitReport& now, const AssignmentParties& parties,
                                const Actor& actor) {
  v1::VisitReportSubmitted submitted;
  submitted.set_report_id(now.report_id());
  submitted.set_assignment_id(now.assignment_id());
  submitted.set_case_id(now.case_id());
  submitted.set_child_id(now.child_id());
  submitted.set_division_code(parties.village_code);
  submitted.set_organisation_id(parties.organisation_id);
  submitted.set_version(now.version());
  submitted.set_outcome(now.outcome());
  RETURN_IF_ERROR(outbox.Append(tx, now.report_id(), submitted, actor.at));
  if (std::vector<v1::DangerSign> signs = NewDangerSigns(before, now); !signs.empty()) {
    v1::DangerSignsRaised raised;
    raised.set_report_id(now.report_id());
    raised.set_assignment_id(now.assignment_id());
    raised.set_case_id(now.case_id());
    raised.set_child_id(now.child_id());
    raised.set_division_code(parties.village_code);
    raised.set_organisation_id(parties.organisation_id);
    for (v1::DangerSign sign : signs) raised.add_danger_signs(sign);
    raised.set_reported_by(parties.participant_id);
    RETURN_IF_ERROR(outbox.Append(tx, now.report_id(), raised, actor.at));
  }
  const std::vector<v1::NeedFound> needs = NewUrgentNeeds(before, now);
  if (needs.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const std::string child_village,
                   VillageTheChildLivesIn(tx, now.case_id(), parties.village_code));
  for (const v1::NeedFound& need : needs) {
    v1::UrgentNeedFound found;
    found.set_report_id(now.report_id());
    found.set_visit_id(now.assignment_id());
    found.set_child_id(now.child_id());
    found.set_case_id(now.case_id());
    found.set_division_code(child_village);
    found.set_organisation_id(parties.organisation_id);
    found.set_kind(need.kind());
    found.set_estimated_amount_fen(need.estimated_amount_fen());
    found.set_summary(need.note());
    found.set_reported_by(parties.participant_id);
    RETURN_IF_ERROR(outbox.Append(tx, now.report_id(), found, actor.at));
  }
  return absl::OkStatus();
}

template <typename Event>
Event ContactEvent(const AssignmentRow& a, absl::Time at) {
  Event e;
  e.set_assignment_id(a.assignment.assignment_id());
  e.set_case_id(a.assignment.case_id());
  e.set_child_id(a.assignment.child_id());
  e.set_visitor_id(a.assignment.visitor_id());
  e.set_division_code(a.parties.village_code);
  e.set_organisation_id(a.parties.organisation_id);
  *e.mutable_at() = ToProtoTimestamp(at);
  return e;
}

}  // namespace

absl::StatusOr<v1::CheckInResponse> MariaDbFieldVisitStore::CheckIn(const IdempotencyKey& key,
                                                                    const Actor& actor,
                                                                    const CheckInCommand& command,
                                                                    const Admission& admit) {
  return IdempotentTransaction<v1::CheckInResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::CheckInResponse> {
        ASSIGN_OR_RETURN(uint64_t planned, tx.Execute(kLockAssignment, {command.assignment_id}));
        AssignmentRow a;
        if (planned > 0) {
          ASSIGN_OR_RETURN(a, AdmittedAssignment(tx, command.assignment_id, admit));
        } else {
          ASSIGN_OR_RETURN(a,
                           RestoreIfBegunBeforeRelease(tx, command.assignment_id, command, admit, actor.at));
        }
        ASSIGN_OR_RETURN(std::optional<db::Row> existing, tx.QueryOne(kLockContact, {command.assignment_id}));
        if (existing) return absl::AlreadyExistsError("the visit is checked in already");
        ASSIGN_OR_RETURN(absl::Time at, command.at(a.day));
        RETURN_IF_ERROR(
            tx.Execute(kInsertContact,
                       {command.assignment_id, a.assignment.case_id(), a.assignment.child_id(),
                        a.assignment.visitor_id(), a.parties.village_code, a.parties.organisation_id,
                        DayText(a.day), int64_t{a.assignment.slot()}, ToSqlTimestamp(at),
                        Micro(command.location, true), Micro(command.location, false),
                        ToSqlTimestamp(ExpectedVisitEnd(times_, a.day, a.assignment.slot(), at, actor.at)),
                        actor.subject, ToSqlTimestamp(actor.at)})
                .status());
        v1::CheckInResponse response;
        ASSIGN_OR_RETURN(*response.mutable_visit(), ReadRecord(tx, command.assignment_id));
        RETURN_IF_ERROR(
            outbox_.Append(tx, command.assignment_id, ContactEvent<v1::VisitCheckedIn>(a, at), actor.at));
        return response;
      });
}

absl::StatusOr<bool> MariaDbFieldVisitStore::RequestPaymentVerification(db::Session& tx,
                                                                        const VerificationRequest& request,
                                                                        int64_t sequence, absl::Time now) {
  ASSIGN_OR_RETURN(
      uint64_t inserted,
      tx.Execute(kInsertVerification, {request.payment_id, request.program_id, request.child_id,
                                       request.division_code, request.allowance_type, request.amount_fen,
                                       request.paid_on, sequence, ToSqlTimestamp(now)}));
  return inserted == 1;
}

absl::StatusOr<std::map<std::string, std::vector<v1::PaymentToVerify>>>
MariaDbFieldVisitStore::PaymentsToVerify(const std::vector<std::string>& child_ids) {
  std::map<std::string, std::vector<v1::PaymentToVerify>> out;
  if (child_ids.empty()) return out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    // A visitor's weekend holds a handful of children: one indexed read each.
    for (const std::string& child_id : child_ids) {
      if (out.count(child_id) > 0) continue;
      ASSIGN_OR_RETURN(db::Rows rows, s.Query(kPendingVerificationsOfChild, {child_id}));
      std::vector<v1::PaymentToVerify>& payments = out[child_id];
      for (const db::Row& r : rows) {
        v1::PaymentToVerify p;
        p.set_payment_id(r.String(0));
        p.set_allowance_type(r.String(1));
        p.set_amount_fen(r.Int(2));
        p.set_paid_on(r.String(3));
        payments.push_back(std::move(p));
      }
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::PaymentVerification> MariaDbFieldVisitStore::RecordPaymentVerification(
    const IdempotencyKey& key, const Actor& actor, const PaymentVerificationCommand& command,
    const Admission& admit) {
  return IdempotentTransaction<v1::PaymentVerification>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::PaymentVerification> {
        ASSIGN_OR_RETURN(AssignmentRow a, AdmittedAssignment(tx, command.assignment_id, admit));
        ASSIGN_OR_RETURN(std::optional<db::Row> pending,
                         tx.QueryOne(kLockVerification, {command.payment_id}));
        // Another child's payment is as unknown here as one never asked about.
        if (!pending || pending->String(0) != a.assignment.child_id()) {
          return absl::NotFoundError("payment to verify not found");
        }
        if (pending->Int(3) != 0) return absl::FailedPreconditionError("the payment was verified already");
        ASSIGN_OR_RETURN(std::optional<db::Row> contact, tx.QueryOne(kLockContact, {command.assignment_id}));
        if (!contact) return absl::FailedPreconditionError("the visit is not checked in");
        RETURN_IF_ERROR(
            tx.Execute(kRecordVerification, {int64_t{command.result}, command.note, command.assignment_id,
                                             actor.subject, ToSqlTimestamp(actor.at), command.payment_id})
                .status());
        v1::PaymentVerification out;
        out.set_payment_id(command.payment_id);
        out.set_child_id(a.assignment.child_id());
        out.set_assignment_id(command.assignment_id);
        out.set_result(command.result);
        out.set_note(command.note);
        out.set_recorded_by(actor.subject);
        *out.mutable_recorded_at() = ToProtoTimestamp(actor.at);
        v1::PaymentVerificationRecorded event;
        event.set_payment_id(command.payment_id);
        event.set_program_id(pending->String(1));
        event.set_child_id(a.assignment.child_id());
        event.set_assignment_id(command.assignment_id);
        event.set_division_code(pending->String(2));
        event.set_result(command.result);
        event.set_note(command.note);
        event.set_recorded_by(actor.subject);
        *event.mutable_recorded_at() = ToProtoTimestamp(actor.at);
        RETURN_IF_ERROR(outbox_.Append(tx, command.payment_id, event, actor.at));
        return out;
      });
}

absl::StatusOr<v1::CheckOutResponse> MariaDbFieldVisitStore::CheckOut(const IdempotencyKey& key,
                                                                      const Actor& actor,
                                                                      const CheckOutCommand& command,
                                                                      const Admission& admit) {
  return IdempotentTransaction<v1::CheckOutResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::CheckOutResponse> {
        ASSIGN_OR_RETURN(AssignmentRow a, AdmittedAssignment(tx, command.assignment_id, admit));
        ASSIGN_OR_RETURN(std::optional<db::Row> contact, tx.QueryOne(kLockContact, {command.assignment_id}));
        if (!contact) return absl::FailedPreconditionError("the visit is not checked in");
        if (!contact->IsNull(1)) return absl::FailedPreconditionError("the visit is checked out already");
        ASSIGN_OR_RETURN(absl::Time at, command.at(a.day));
        ASSIGN_OR_RETURN(absl::Time checked_in, FromSqlTimestamp(contact->String(0)));
        if (at < checked_in) return InvalidField("at", "is before the check-in");
        const v1::Contact& c = command.contact;
        RETURN_IF_ERROR(
            tx.Execute(kCheckOut,
                       {ToSqlTimestamp(at), Micro(command.location, true), Micro(command.location, false),
                        int64_t{c.result()}, int64_t{c.child_seen() ? 1 : 0}, int64_t{c.guardians_seen()},
                        int64_t{c.others_seen()}, ToSqlTimestamp(actor.at), command.assignment_id})
                .status());
        v1::CheckOutResponse response;
        ASSIGN_OR_RETURN(*response.mutable_visit(), ReadRecord(tx, command.assignment_id));
        v1::VisitCheckedOut event = ContactEvent<v1::VisitCheckedOut>(a, at);
        event.set_contact_result(c.result());
        RETURN_IF_ERROR(outbox_.Append(tx, command.assignment_id, event, actor.at));
        return response;
      });
}

absl::StatusOr<int64_t> MariaDbFieldVisitStore::SubmitReport(const Actor& actor,
                                                             const v1::VisitReport& report,
                                                             const Admission& admit) {
  const std::string hash = ReportContentHash(report);
  // Two sends of one report at once: the later insert meets the first's key and rolls back; the second
  // attempt then finds the stored report and answers as a re-send does.
  for (int attempt = 0;; ++attempt) {
    int64_t version = 0;
    bool inserting = false;
    absl::Status status = pool_.Transaction([&](db::Session& tx) -> absl::Status {
      inserting = false;
      ASSIGN_OR_RETURN(std::optional<ReportRow> stored,
                       ReadReport(tx, kLockReport, report.report_id(), crypto_));
      if (stored) {
        RETURN_IF_ERROR(admit(stored->stored.parties));
        if (stored->stored.report.assignment_id() != report.assignment_id() ||
            (hash != stored->submitted_hash && hash != stored->content_hash)) {
          return absl::AlreadyExistsError(
              "a report with this report_id holds other content; change it with EditVisitReport");
        }
        version = stored->stored.report.version();
        return absl::OkStatus();
      }
      // The visit's row taken by writing it, as a check-in takes it (visits 0043): a release of the visit at
      // the same moment either committed first (the visit is found withdrawn below) or waits for this report
      // and then finds it and keeps the visit (assignment_release.cc). Read plainly, a release committing
      // meanwhile left the report stored on a visit taken away. On Galera the later of the two is aborted.
      ASSIGN_OR_RETURN(uint64_t planned, tx.Execute(kLockAssignment, {report.assignment_id()}));
      absl::StatusOr<AssignmentRow> admitted = planned > 0
                                                   ? AdmittedAssignment(tx, report.assignment_id(), admit)
                                                   : absl::NotFoundError("assignment not found");
      if (absl::IsNotFound(admitted.status())) {
        RETURN_IF_ERROR(RefuseReportOfWithdrawnVisit(tx, report.assignment_id(), admit));
      }
      ASSIGN_OR_RETURN(AssignmentRow a, std::move(admitted));
      RETURN_IF_ERROR(RequireVisitDayCome(a.day, actor.at, "assignment_id"));
      inserting = true;
      RETURN_IF_ERROR(tx.Execute(kInsertReport,
                                 {report.report_id(), report.assignment_id(), a.assignment.case_id(),
                                  a.assignment.child_id(), a.assignment.visitor_id(), a.parties.village_code,
                                  a.parties.organisation_id, DayText(a.day), int64_t{report.outcome()},
                                  SealedBodyOf(report, crypto_), hash, hash, actor.subject,
                                  ToSqlTimestamp(actor.at), actor.subject, ToSqlTimestamp(actor.at)})
                          .status());
      inserting = false;
      v1::VisitReport now = report;
      now.set_version(1);
      now.set_case_id(a.assignment.case_id());
      now.set_child_id(a.assignment.child_id());
      RETURN_IF_ERROR(AppendReportEvents(tx, outbox_, nullptr, now, a.parties, actor));
      if (report.outcome() == v1::VISIT_OUTCOME_COMPLETED) {
        RETURN_IF_ERROR(
            MariaDbVisitsStore::FollowCompletedVisits(tx, now.child_id(), now.case_id(), cadence_, actor.at));
      }
      version = 1;
      return absl::OkStatus();
    });
    if (status.ok()) return version;
    if (status.code() != absl::StatusCode::kAlreadyExists || !inserting) return status;
    // The insert met a key: this report id committed meanwhile (look again, once), or the visit has
    // another report.
    if (attempt > 0) return absl::AlreadyExistsError("the visit has a report already");
  }
}

absl::StatusOr<v1::EditVisitReportResponse> MariaDbFieldVisitStore::EditReport(const IdempotencyKey& key,
                                                                               const Actor& actor,
                                                                               const v1::VisitReport& report,
                                                                               int64_t base_version,
                                                                               const Admission& admit) {
  ASSIGN_OR_RETURN(
      v1::EditVisitReportResponse answer,
      IdempotentTransaction<v1::EditVisitReportResponse>(
          pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::EditVisitReportResponse> {
            ASSIGN_OR_RETURN(std::optional<ReportRow> stored,
                             ReadReport(tx, kLockReport, report.report_id(), crypto_));
            if (!stored) return absl::NotFoundError("visit report not found");
            RETURN_IF_ERROR(admit(stored->stored.parties));
            const v1::VisitReport& before = stored->stored.report;
            if (base_version != before.version()) {
              return StaleVersion("the report was changed since the version this edit is based on",
                                  before.version());
            }
            if (report.assignment_id() != before.assignment_id()) {
              return InvalidField("report.assignment_id", "a report stays with its visit");
            }
            ASSIGN_OR_RETURN(absl::CivilDay visit_day, ParseDay(before.visit_date(), "visit_day"));
            RETURN_IF_ERROR(RequireVisitDayCome(visit_day, actor.at, "report.assignment_id"));
            const int64_t next = before.version() + 1;
            RETURN_IF_ERROR(
                tx.Execute(kUpdateReport, {next, int64_t{report.outcome()}, SealedBodyOf(report, crypto_),
                                           ReportContentHash(report), actor.subject, ToSqlTimestamp(actor.at),
                                           report.report_id(), base_version})
                    .status());
            ASSIGN_OR_RETURN(std::optional<ReportRow> after,
                             ReadReport(tx, kReportColumns, report.report_id(), crypto_));
            if (!after) return absl::InternalError("visit report not readable after update");
            RETURN_IF_ERROR(AppendReportEvents(tx, outbox_, &before, after->stored.report,
                                               stored->stored.parties, actor));
            if (before.outcome() != report.outcome()) {
              RETURN_IF_ERROR(MariaDbVisitsStore::FollowCompletedVisits(
                  tx, after->stored.report.child_id(), after->stored.report.case_id(), cadence_, actor.at));
            }
            v1::EditVisitReportResponse response;
            *response.mutable_report() = std::move(after->stored.report);
            ClearContent(*response.mutable_report());
            return response;
          }));
  // The answer kept for retries (common/idempotency.h) is not sealed, so it holds the report without its
  // content; that version's content is this request's, which a retry repeats exactly (the key is bound to
  // the request), so the answer is whole again either way.
  // Through the stored form, so the answer holds exactly what a read of that version would.
  ClearContent(*answer.mutable_report());
  RETURN_IF_ERROR(FillFromBody(BodyOf(report), *answer.mutable_report()));
  return answer;
}

absl::StatusOr<int64_t> MariaDbFieldVisitStore::SealPlainReports(std::string& after_id, int64_t limit) {
  int64_t sealed = 0;
  std::string last = after_id;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    sealed = 0;
    last = after_id;
    ASSIGN_OR_RETURN(db::Rows rows, tx.Query(kPlainReports, {after_id, limit}));
    for (const db::Row& row : rows) {
      const std::string id = row.String(0);
      RETURN_IF_ERROR(tx.Execute(kSealReport, {crypto_.Seal(row.String(1), id), id}).status());
      last = id;
      ++sealed;
    }
    return absl::OkStatus();
  }));
  after_id = last;
  return sealed;
}

absl::StatusOr<std::optional<StoredReport>> MariaDbFieldVisitStore::GetReport(const std::string& report_id) {
  return db::ReadOne<std::optional<StoredReport>>(
      pool_, [&](db::Session& session) -> absl::StatusOr<std::optional<StoredReport>> {
        ASSIGN_OR_RETURN(std::optional<ReportRow> row,
                         ReadReport(session, kReportColumns, report_id, crypto_));
        if (!row) return std::optional<StoredReport>();
        return std::optional<StoredReport>(std::move(row->stored));
      });
}

absl::StatusOr<std::vector<v1::VisitRecord>> MariaDbFieldVisitStore::ListChildVisits(
    const ChildVisitsFilter& f) {
  std::vector<v1::VisitRecord> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    std::vector<db::Value> params = {f.child_id};
    if (!f.page.after_id.empty()) params.push_back(f.page.after_id);
    params.push_back(int64_t{f.page.limit});
    ASSIGN_OR_RETURN(
        db::Rows rows,
        session.Query(f.page.after_id.empty() ? kListChildVisits : kListChildVisitsAfter, params));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(v1::VisitRecord record, RecordFromRow(row));
      out.push_back(std::move(record));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::VisitStatisticsRow>> MariaDbFieldVisitStore::Statistics(
    const StatisticsFilter& f) {
  std::vector<v1::VisitStatisticsRow> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query(kStatistics, {f.division_prefix, DivisionPrefixEnd(f.division_prefix),
                                                 DayText(f.first_day), DayText(f.last_day), f.organisation_id,
                                                 f.organisation_id}));
    for (const db::Row& row : rows) {
      v1::VisitStatisticsRow s;
      s.set_county_code(row.String(0));
      s.set_month(row.String(1));
      s.set_visits_made(row.Int(2));
      s.set_visits_attempted(row.Int(3));
      s.set_person_times(row.Int(4));
      s.set_distinct_children(row.Int(5));
      out.push_back(std::move(s));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int> MariaDbFieldVisitStore::RaiseMissingCheckOuts(absl::Time slot_ended_by, absl::Time now) {
  int raised = 0;
  while (true) {
    std::vector<std::string> candidates;
    RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows rows,
                       session.Query(kMissingCheckOuts, {ToSqlTimestamp(slot_ended_by), kSweepBatch}));
      for (const db::Row& row : rows) candidates.push_back(row.String(0));
      return absl::OkStatus();
    }));
    int this_round = 0;
    for (const std::string& id : candidates) {
      bool alerted = false;
      RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
        alerted = false;
        // Locked and re-checked: a concurrent sweep (another replica, or a takeover) that alerted first, or
        // a check-out that just committed, leaves nothing to raise.
        ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockOpenContact, {id}));
        if (!row) return absl::OkStatus();
        RETURN_IF_ERROR(tx.Execute(kMarkAlerted, {ToSqlTimestamp(now), id}).status());
        v1::VisitCheckOutMissing missing;
        missing.set_assignment_id(id);
        missing.set_case_id(row->String(0));
        missing.set_child_id(row->String(1));
        missing.set_visitor_id(row->String(2));
        missing.set_division_code(row->String(3));
        missing.set_organisation_id(row->String(4));
        RETURN_IF_ERROR(ReadTimestamp(*row, 5, missing.mutable_checked_in_at()));
        RETURN_IF_ERROR(ReadTimestamp(*row, 6, missing.mutable_slot_ended_at()));
        RETURN_IF_ERROR(outbox_.Append(tx, id, missing, now));
        alerted = true;
        return absl::OkStatus();
      }));
      if (alerted) ++this_round;
    }
    raised += this_round;
    // A round that alerted nothing met only what others alerted meanwhile; a short round was the last.
    if (static_cast<int64_t>(candidates.size()) < kSweepBatch || this_round == 0) break;
  }
  return raised;
}

}  // namespace shouhu::visits
