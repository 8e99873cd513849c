#include "services/training/training_store.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/training/certification_rules.h"
#include "services/training/suspension_rules.h"
#include "services/training/training_rules.h"
#include "shouhu/training/v1/events.pb.h"

namespace shouhu::training {
namespace {

// ---- participants ----
constexpr absl::string_view kInsertParticipant =
    "INSERT INTO participants (id, kind, organisation_id, home_division_code, display_name, stage, "
    "languages, skills, weekend_available, supervisor_id, registry_child_id, registry_household_id, "
    "background_status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kSelectParticipant =
    "SELECT id, kind, organisation_id, home_division_code, display_name, stage, languages, skills, "
    "weekend_available, supervisor_id, registry_child_id, registry_household_id, background_status, "
    "background_checked_on, background_expires_on, created_at, updated_at, suspension_reason, "
    "suspension_reference, suspended_at, suspended_by FROM participants WHERE id = ?";
constexpr absl::string_view kLockParticipant =
    "SELECT id, kind, organisation_id, home_division_code, display_name, stage, languages, skills, "
    "weekend_available, supervisor_id, registry_child_id, registry_household_id, background_status, "
    "background_checked_on, background_expires_on, created_at, updated_at, suspension_reason, "
    "suspension_reference, suspended_at, suspended_by FROM participants WHERE id = ? "
    "FOR UPDATE";
// The prefix as an index range (common/scope.h), one query for the whole page.
constexpr absl::string_view kListParticipants =
    "SELECT id, kind, organisation_id, home_division_code, display_name, stage, languages, skills, "
    "weekend_available, supervisor_id, registry_child_id, registry_household_id, background_status, "
    "background_checked_on, background_expires_on, created_at, updated_at, suspension_reason, "
    "suspension_reference, suspended_at, suspended_by FROM participants "
    "WHERE home_division_code >= ? AND home_division_code < ? AND (? = '' OR organisation_id = ?) "
    "AND (? = 0 OR kind = ?) AND (? = 0 OR stage = ?) AND id > ? ORDER BY id LIMIT ?";
constexpr absl::string_view kUpdateStage = "UPDATE participants SET stage = ?, updated_at = ? WHERE id = ?";
// Makes a transaction that relies on the participant's row (read under its lock) also write it: on Galera
// only written rows are certified, a lock alone does not hold back another node (training migration 0030).
constexpr absl::string_view kTouchParticipant =
    "UPDATE participants SET lock_version = lock_version + 1 WHERE id = ?";
constexpr absl::string_view kInsertStageChange =
    "INSERT INTO stage_changes (id, participant_id, from_stage, to_stage, reason, changed_by, changed_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kUpdateBackground =
    "UPDATE participants SET background_status = ?, background_checked_on = ?, background_expires_on = ?, "
    "updated_at = ? WHERE id = ?";
constexpr absl::string_view kUpdateSuspension =
    "UPDATE participants SET suspension_reason = ?, suspension_reference = ?, suspended_at = ?, suspended_by "
    "= "
    "?, updated_at = ? WHERE id = ?";
constexpr absl::string_view kInsertSuspensionChange =
    "INSERT INTO suspension_changes (id, participant_id, suspended, reason, reference, changed_by, "
    "changed_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
// A person's standing holds, locked with the participant's row (whose lock every change takes first).
constexpr absl::string_view kLockSuspensionHolds =
    "SELECT reason, reference, placed_by, placed_at, by_system, organisation FROM suspension_holds"
    " WHERE participant_id = ? ORDER BY placed_at, reason, reference FOR UPDATE";
constexpr absl::string_view kInsertSuspensionHold =
    "INSERT INTO suspension_holds (participant_id, reason, reference, placed_by, placed_at, by_system,"
    " organisation) VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kDeleteSuspensionHold =
    "DELETE FROM suspension_holds WHERE participant_id = ? AND reason = ? AND reference = ?";
constexpr absl::string_view kInsertBackgroundCheck =
    "INSERT INTO background_checks (id, participant_id, status, checked_on, expires_on, recorded_by, "
    "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)";

// ---- courses: the requirements folded into the course's row, so a page is one query ----
constexpr absl::string_view kCourseByCode = "SELECT id FROM courses WHERE code = ?";
constexpr absl::string_view kInsertCourse =
    "INSERT INTO courses (id, code, title, hours, topics, audiences, pass_mark, validity_months, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertRequirement =
    "INSERT INTO course_requirements (activity, course_id) VALUES (?, ?)";
constexpr absl::string_view kSelectCourse =
    "SELECT c.id, c.code, c.title, c.hours, c.topics, c.audiences, c.pass_mark, c.validity_months, "
    "c.created_at, (SELECT GROUP_CONCAT(r.activity ORDER BY r.activity) FROM course_requirements r "
    "WHERE r.course_id = c.id) FROM courses c WHERE c.id = ?";
constexpr absl::string_view kListCourses =
    "SELECT c.id, c.code, c.title, c.hours, c.topics, c.audiences, c.pass_mark, c.validity_months, "
    "c.created_at, (SELECT GROUP_CONCAT(r.activity ORDER BY r.activity) FROM course_requirements r "
    "WHERE r.course_id = c.id) FROM courses c WHERE c.id > ? AND (? = 0 OR EXISTS (SELECT 1 FROM "
    "course_requirements q WHERE q.course_id = c.id AND q.activity = ?)) ORDER BY c.id LIMIT ?";
// The holder's other certificate of the course in force on a day, the longest-lived first: issued by then
// (one issued for a session still ahead proves nothing yet, and visits would keep its holder on visits in
// the meantime) and not yet expired.
constexpr absl::string_view kCertificateOfCourseInForce =
    "SELECT id FROM certifications WHERE participant_id = ? AND course_id = ? AND id <> ? AND revoked = 0"
    " AND issued_on <= ? AND expires_on > ? ORDER BY expires_on DESC, id LIMIT 1";
constexpr absl::string_view kCourseRequirements =
    "SELECT activity FROM course_requirements WHERE course_id = ? ORDER BY activity";
constexpr absl::string_view kRequiredCourses =
    "SELECT c.id, c.code FROM course_requirements r JOIN courses c ON c.id = r.course_id WHERE r.activity = "
    "? ORDER BY c.code";

// ---- sessions and enrollments ----
constexpr absl::string_view kInsertSession =
    "INSERT INTO training_sessions (id, course_id, organisation_id, division_code, location, trainer, "
    "starts_at, ends_at, capacity, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kSelectSession =
    "SELECT id, course_id, organisation_id, division_code, location, trainer, starts_at, ends_at, capacity, "
    "enrolled_count, waitlisted_count, waitlist_tail FROM training_sessions WHERE id = ?";
constexpr absl::string_view kLockSession =
    "SELECT id, course_id, organisation_id, division_code, location, trainer, starts_at, ends_at, capacity, "
    "enrolled_count, waitlisted_count, waitlist_tail FROM training_sessions WHERE id = ? FOR UPDATE";
constexpr absl::string_view kTakePlace =
    "UPDATE training_sessions SET enrolled_count = enrolled_count + 1 WHERE id = ?";
constexpr absl::string_view kJoinWaitlist =
    "UPDATE training_sessions SET waitlisted_count = waitlisted_count + 1, waitlist_tail = ? WHERE id = ?";
constexpr absl::string_view kFreePlace =
    "UPDATE training_sessions SET enrolled_count = enrolled_count - 1 WHERE id = ?";
constexpr absl::string_view kLeaveWaitlist =
    "UPDATE training_sessions SET waitlisted_count = waitlisted_count - 1 WHERE id = ?";
constexpr absl::string_view kPromoteCounts =
    "UPDATE training_sessions SET enrolled_count = enrolled_count + 1, waitlisted_count = waitlisted_count - "
    "1 WHERE id = ?";
constexpr absl::string_view kActiveEnrollmentOf =
    "SELECT id FROM enrollments WHERE participant_id = ? AND session_id = ? AND status IN (?, ?) LIMIT 1";
constexpr absl::string_view kInsertEnrollment =
    "INSERT INTO enrollments (id, session_id, participant_id, status, waitlist_position, created_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kSelectEnrollment =
    "SELECT id, session_id, participant_id, status, waitlist_position, attended, score, certification_id, "
    "renewed_certification_id FROM enrollments WHERE id = ?";
constexpr absl::string_view kLockEnrollment =
    "SELECT id, session_id, participant_id, status, waitlist_position, attended, score, certification_id, "
    "renewed_certification_id FROM enrollments WHERE id = ? FOR UPDATE";
constexpr absl::string_view kListEnrollments =
    "SELECT e.id, e.session_id, e.participant_id, e.status, e.waitlist_position, e.attended, e.score, "
    "e.certification_id, e.renewed_certification_id FROM enrollments e JOIN participants p ON p.id = "
    "e.participant_id "
    "WHERE e.session_id = ? AND (? = '' OR p.organisation_id = ?) AND e.id > ? ORDER BY e.id LIMIT ?";
constexpr absl::string_view kFirstWaitlisted =
    "SELECT id FROM enrollments WHERE session_id = ? AND status = ? ORDER BY waitlist_position LIMIT 1 "
    "FOR UPDATE";
constexpr absl::string_view kSetEnrollmentStatus =
    "UPDATE enrollments SET status = ?, waitlist_position = 0, updated_at = ? WHERE id = ?";
constexpr absl::string_view kSetAttendance =
    "UPDATE enrollments SET attended = ?, updated_at = ? WHERE id = ?";
constexpr absl::string_view kSetScore = "UPDATE enrollments SET score = ?, updated_at = ? WHERE id = ?";
constexpr absl::string_view kEarnedFacts =
    "SELECT e.participant_id, e.attended, e.score, c.pass_mark, c.validity_months, c.id, c.code, "
    "s.starts_at, e.certification_id FROM enrollments e JOIN training_sessions s ON s.id = e.session_id "
    "JOIN courses c ON c.id = s.course_id WHERE e.id = ?";
constexpr absl::string_view kSetEnrollmentCertification =
    "UPDATE enrollments SET certification_id = ?, updated_at = ? WHERE id = ?";

// ---- certifications ----
constexpr absl::string_view kInsertCertification =
    "INSERT INTO certifications (id, participant_id, course_id, enrollment_id, issued_on, expires_on, "
    "expiry_event_written, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kSelectCertification =
    "SELECT t.id, t.participant_id, t.course_id, c.code, t.enrollment_id, t.issued_on, t.expires_on, "
    "t.revoked, t.revocation_reason, c.validity_months, t.last_renewal_enrollment_id FROM certifications t "
    "JOIN courses c ON c.id = t.course_id WHERE t.id = ?";
constexpr absl::string_view kLockCertification =
    "SELECT t.id, t.participant_id, t.course_id, c.code, t.enrollment_id, t.issued_on, t.expires_on, "
    "t.revoked, t.revocation_reason, c.validity_months, t.last_renewed_on FROM certifications t JOIN courses "
    "c "
    "ON c.id = t.course_id WHERE t.id = ? FOR UPDATE";
constexpr absl::string_view kListCertifications =
    "SELECT t.id, t.participant_id, t.course_id, c.code, t.enrollment_id, t.issued_on, t.expires_on, "
    "t.revoked, t.revocation_reason, c.validity_months, t.last_renewal_enrollment_id FROM certifications t "
    "JOIN courses c ON c.id = t.course_id WHERE t.participant_id = ? AND t.id > ? ORDER BY t.id LIMIT ?";
constexpr absl::string_view kRenewCertification =
    "UPDATE certifications SET issued_on = ?, expires_on = ?, last_renewed_on = ?, "
    "last_renewal_enrollment_id = "
    "?, expiry_event_written = ?, updated_at = ? WHERE id = ?";
constexpr absl::string_view kMarkRefresher =
    "UPDATE enrollments SET renewed_certification_id = ?, updated_at = ? WHERE id = ?";
constexpr absl::string_view kRevokeCertification =
    "UPDATE certifications SET revoked = 1, revocation_reason = ?, updated_at = ? WHERE id = ?";
constexpr absl::string_view kDueExpiries =
    "SELECT id FROM certifications WHERE expiry_event_written = 0 AND expires_on <= ? AND revoked = 0 "
    "ORDER BY expires_on, id LIMIT ?";
// Matches only while the event is unwritten: a second replica racing for the same row waits on the first's
// row lock and then matches nothing.
constexpr absl::string_view kMarkExpiryWritten =
    "UPDATE certifications SET expiry_event_written = 1, updated_at = ? WHERE id = ? AND "
    "expiry_event_written = 0 AND revoked = 0 AND expires_on <= ?";

// ---- qualification facts: IN lists of a fixed length, padded with '' (no id is empty) ----
constexpr int kInChunk = 100;
constexpr absl::string_view kParticipantStandingIn =
    "SELECT id, organisation_id, home_division_code, kind, stage, background_status, background_checked_on, "
    "background_expires_on, suspension_reason FROM participants WHERE id IN ";
constexpr absl::string_view kCertificationStandingIn =
    "SELECT participant_id, course_id, issued_on, expires_on, revoked FROM certifications WHERE "
    "participant_id IN ";
constexpr absl::string_view kOrganisationStandingIn =
    "SELECT organisation_id, assessed_on, expires_on FROM organisation_qualifications WHERE organisation_id "
    "IN ";
// The single answer, the visits service's hot path: two indexed statements without a transaction around them.
constexpr absl::string_view kOneParticipantStanding =
    "SELECT p.id, p.organisation_id, p.home_division_code, p.kind, p.stage, p.background_status, "
    "p.background_checked_on, p.background_expires_on, o.assessed_on, o.expires_on, p.suspension_reason "
    "FROM participants p "
    "LEFT JOIN organisation_qualifications o ON o.organisation_id = p.organisation_id WHERE p.id = ?";
constexpr absl::string_view kRequiredWithCertifications =
    "SELECT c.id, c.code, t.issued_on, t.expires_on, t.revoked FROM course_requirements r "
    "JOIN courses c ON c.id = r.course_id "
    "LEFT JOIN certifications t ON t.participant_id = ? AND t.course_id = c.id WHERE r.activity = ? "
    "ORDER BY c.code";
constexpr absl::string_view kOrganisationStanding =
    "SELECT organisation_id, assessed_on, expires_on FROM organisation_qualifications WHERE organisation_id "
    "= ?";

// ---- organisations ----
constexpr absl::string_view kInsertOrganisationQualification =
    "INSERT INTO organisation_qualifications (id, organisation_id, organisation_name, division_code, "
    "registration_number, grade, assessed_by, assessed_on, expires_on, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kSelectOrganisationQualification =
    "SELECT id, organisation_id, organisation_name, division_code, registration_number, grade, assessed_by, "
    "assessed_on, expires_on FROM organisation_qualifications WHERE id = ?";
constexpr absl::string_view kListOrganisationQualifications =
    "SELECT id, organisation_id, organisation_name, division_code, registration_number, grade, assessed_by, "
    "assessed_on, expires_on FROM organisation_qualifications WHERE organisation_id = ? AND id > ? "
    "ORDER BY id LIMIT ?";
constexpr absl::string_view kInsertOrganisationTraining =
    "INSERT INTO organisation_trainings (id, organisation_id, division_code, title, hours, held_on, "
    "provided_by, attendees, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kSelectOrganisationTraining =
    "SELECT id, organisation_id, division_code, title, hours, held_on, provided_by, attendees "
    "FROM organisation_trainings WHERE id = ?";

// ---- hours ----
constexpr absl::string_view kParticipantHours =
    "SELECT COALESCE(SUM(c.hours), 0), COUNT(*) FROM enrollments e JOIN training_sessions s ON s.id = "
    "e.session_id JOIN courses c ON c.id = s.course_id WHERE e.participant_id = ? AND e.status = ? "
    "AND e.attended = 1 AND s.starts_at >= ? AND s.starts_at < ?";
constexpr absl::string_view kOrganisationSessionHours =
    "SELECT COALESCE(SUM(c.hours), 0), COUNT(*), COUNT(DISTINCT e.participant_id) FROM participants p "
    "JOIN enrollments e ON e.participant_id = p.id JOIN training_sessions s ON s.id = e.session_id "
    "JOIN courses c ON c.id = s.course_id WHERE p.organisation_id = ? AND e.status = ? AND e.attended = 1 "
    "AND s.starts_at >= ? AND s.starts_at < ?";
constexpr absl::string_view kOrganisationTrainingHours =
    "SELECT COALESCE(SUM(hours), 0) FROM organisation_trainings WHERE organisation_id = ? AND held_on >= ? "
    "AND held_on <= ?";

std::string InList(absl::string_view prefix) {
  std::string sql(prefix);
  sql += "(";
  for (int i = 0; i < kInChunk; ++i) sql += i == 0 ? "?" : ", ?";
  sql += ")";
  return sql;
}

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

absl::CivilDay DayOf(const std::string& text) {
  absl::CivilDay day;
  (void)absl::ParseCivilTime(text, &day);
  return day;
}

std::optional<absl::CivilDay> OptDay(const db::Row& row, size_t i) {
  if (row.IsNull(i)) return std::nullopt;
  return DayOf(row.String(i));
}

std::string DateOrEmpty(const db::Row& row, size_t i) { return row.IsNull(i) ? "" : row.String(i); }

db::Value DateOrNull(const std::string& text) {
  return text.empty() ? db::Value(db::Null{}) : db::Value(text);
}

db::Value TextOrNull(const std::string& text) {
  return text.empty() ? db::Value(db::Null{}) : db::Value(text);
}

// The UTC instant at which `day` begins in Asia/Shanghai.
std::string StartOfDay(absl::CivilDay day) {
  return ToSqlTimestamp(absl::FromCivil(absl::CivilSecond(day), ShanghaiTimeZone()));
}

std::string JoinEnums(const google::protobuf::RepeatedField<int>& values) {
  return absl::StrJoin(values, ",");
}

std::vector<int> SplitEnums(const std::string& text) {
  std::vector<int> values;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int v = 0;
    if (absl::SimpleAtoi(part, &v)) values.push_back(v);
  }
  return values;
}

std::string JoinTexts(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return absl::StrJoin(values, "\n");
}

absl::Status NotFound(absl::string_view what) {
  return absl::NotFoundError(absl::StrCat(what, " not found"));
}

absl::StatusOr<v1::Participant> ParticipantFromRow(const db::Row& row) {
  v1::Participant p;
  p.set_id(row.String(0));
  p.set_kind(static_cast<v1::ParticipantKind>(row.Int(1)));
  p.set_organisation_id(row.String(2));
  p.set_home_division_code(row.String(3));
  p.set_display_name(row.String(4));
  p.set_stage(static_cast<v1::VolunteerStage>(row.Int(5)));
  for (absl::string_view s : absl::StrSplit(row.String(6), '\n', absl::SkipEmpty()))
    p.add_languages(std::string(s));
  for (absl::string_view s : absl::StrSplit(row.String(7), '\n', absl::SkipEmpty()))
    p.add_skills(std::string(s));
  p.set_weekend_available(row.Int(8) != 0);
  p.set_supervisor_id(row.String(9));
  p.set_registry_child_id(row.String(10));
  p.set_registry_household_id(row.String(11));
  p.mutable_background_check()->set_status(static_cast<v1::BackgroundCheckStatus>(row.Int(12)));
  p.mutable_background_check()->set_checked_on(DateOrEmpty(row, 13));
  p.mutable_background_check()->set_expires_on(DateOrEmpty(row, 14));
  RETURN_IF_ERROR(ReadTimestamp(row, 15, p.mutable_created_at()));
  RETURN_IF_ERROR(ReadTimestamp(row, 16, p.mutable_updated_at()));
  if (!row.IsNull(17)) {
    v1::Suspension* s = p.mutable_suspension();
    s->set_reason(static_cast<v1::SuspensionReason>(row.Int(17)));
    s->set_reference(row.OptString(18).value_or(""));
    if (!row.IsNull(19)) RETURN_IF_ERROR(ReadTimestamp(row, 19, s->mutable_suspended_at()));
    s->set_suspended_by(row.OptString(20).value_or(""));
  }
  return p;
}

absl::StatusOr<v1::Course> CourseFromRow(const db::Row& row) {
  v1::Course c;
  c.set_id(row.String(0));
  c.set_code(row.String(1));
  c.set_title(row.String(2));
  c.set_hours(static_cast<int32_t>(row.Int(3)));
  for (int t : SplitEnums(row.String(4))) c.add_topics(static_cast<v1::Topic>(t));
  for (int a : SplitEnums(row.String(5))) c.add_audiences(static_cast<v1::ParticipantKind>(a));
  c.set_pass_mark(static_cast<int32_t>(row.Int(6)));
  c.set_validity_months(static_cast<int32_t>(row.Int(7)));
  RETURN_IF_ERROR(ReadTimestamp(row, 8, c.mutable_created_at()));
  for (int a : SplitEnums(row.String(9))) c.add_required_for(static_cast<v1::Activity>(a));
  return c;
}

absl::StatusOr<v1::Session> SessionFromRow(const db::Row& row) {
  v1::Session s;
  s.set_id(row.String(0));
  s.set_course_id(row.String(1));
  s.set_organisation_id(row.String(2));
  s.set_division_code(row.String(3));
  s.set_location(row.String(4));
  s.set_trainer(row.String(5));
  RETURN_IF_ERROR(ReadTimestamp(row, 6, s.mutable_starts_at()));
  RETURN_IF_ERROR(ReadTimestamp(row, 7, s.mutable_ends_at()));
  s.set_capacity(static_cast<int32_t>(row.Int(8)));
  s.set_enrolled_count(static_cast<int32_t>(row.Int(9)));
  s.set_waitlisted_count(static_cast<int32_t>(row.Int(10)));
  return s;
}

v1::Enrollment EnrollmentFromRow(const db::Row& row) {
  v1::Enrollment e;
  e.set_id(row.String(0));
  e.set_session_id(row.String(1));
  e.set_participant_id(row.String(2));
  e.set_status(static_cast<v1::EnrollmentStatus>(row.Int(3)));
  e.set_waitlist_position(row.Int(4));
  e.set_attendance_recorded(!row.IsNull(5));
  e.set_attended(row.Int(5) != 0);
  e.set_assessed(!row.IsNull(6));
  e.set_score(static_cast<int32_t>(row.Int(6)));
  e.set_certification_id(row.String(7));
  if (!row.IsNull(8)) e.set_renewed_certification_id(row.String(8));
  return e;
}

v1::Certification CertificationFromRow(const db::Row& row, absl::CivilDay today) {
  v1::Certification c;
  c.set_id(row.String(0));
  c.set_participant_id(row.String(1));
  c.set_course_id(row.String(2));
  c.set_course_code(row.String(3));
  c.set_enrollment_id(row.String(4));
  c.set_issued_on(row.String(5));
  c.set_expires_on(row.String(6));
  c.set_status(StatusOn(row.Int(7) != 0, DayOf(row.String(6)), today));
  c.set_revocation_reason(row.String(8));
  if (!row.IsNull(10)) c.set_renewed_by_enrollment_id(row.String(10));
  return c;
}

v1::OrganisationQualification OrganisationQualificationFromRow(const db::Row& row) {
  v1::OrganisationQualification q;
  q.set_id(row.String(0));
  q.set_organisation_id(row.String(1));
  q.set_organisation_name(row.String(2));
  q.set_division_code(row.String(3));
  q.set_registration_number(row.String(4));
  q.set_grade(static_cast<v1::AssessmentGrade>(row.Int(5)));
  q.set_assessed_by(row.String(6));
  q.set_assessed_on(row.String(7));
  q.set_expires_on(row.String(8));
  return q;
}

// Runs `sql` (ending in an IN list of kInChunk placeholders) over `ids` in chunks, appending every row.
absl::Status QueryIn(db::Session& session, const std::string& sql, const std::vector<std::string>& ids,
                     db::Rows& out) {
  for (size_t begin = 0; begin < ids.size(); begin += kInChunk) {
    std::vector<db::Value> params;
    params.reserve(kInChunk);
    for (size_t i = begin; i < begin + kInChunk; ++i)
      params.emplace_back(i < ids.size() ? ids[i] : std::string());
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(sql, params));
    for (db::Row& row : rows) out.push_back(std::move(row));
  }
  return absl::OkStatus();
}

// One record by id, or nullopt; `sql` selects it (with or without FOR UPDATE).
template <typename T, typename FromRow>
absl::StatusOr<std::optional<T>> ReadRecord(db::Session& session, absl::string_view sql,
                                            const std::string& id, FromRow from_row) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, session.QueryOne(sql, {id}));
  if (!row) return std::optional<T>();
  absl::StatusOr<T> value = from_row(*row);
  if (!value.ok()) return value.status();
  return std::optional<T>(*std::move(value));
}

absl::StatusOr<std::optional<v1::Participant>> ReadParticipant(db::Session& session, const std::string& id,
                                                               bool for_update) {
  return ReadRecord<v1::Participant>(session, for_update ? kLockParticipant : kSelectParticipant, id,
                                     ParticipantFromRow);
}

absl::StatusOr<std::optional<v1::Course>> ReadCourse(db::Session& session, const std::string& id) {
  return ReadRecord<v1::Course>(session, kSelectCourse, id, CourseFromRow);
}

absl::StatusOr<std::optional<v1::Session>> ReadSession(db::Session& session, const std::string& id) {
  return ReadRecord<v1::Session>(session, kSelectSession, id, SessionFromRow);
}

absl::StatusOr<std::optional<v1::Enrollment>> ReadEnrollment(db::Session& session, const std::string& id,
                                                             bool for_update) {
  return ReadRecord<v1::Enrollment>(
      session, for_update ? kLockEnrollment : kSelectEnrollment, id,
      [](const db::Row& row) -> absl::StatusOr<v1::Enrollment> { return EnrollmentFromRow(row); });
}

absl::StatusOr<std::optional<v1::Certification>> ReadCertification(db::Session& session,
                                                                   const std::string& id,
                                                                   absl::CivilDay today) {
  return ReadRecord<v1::Certification>(session, kSelectCertification, id,
                                       [today](const db::Row& row) -> absl::StatusOr<v1::Certification> {
                                         return CertificationFromRow(row, today);
                                       });
}

// A record the transaction just wrote, read back for the answer: absent would be a defect, not a NOT_FOUND.
template <typename T>
absl::StatusOr<T> Written(absl::StatusOr<std::optional<T>> read, absl::string_view what) {
  if (!read.ok()) return read.status();
  if (!*read) return absl::InternalError(absl::StrCat("the ", what, " just written is missing"));
  return **read;
}

// A participant mutation's first steps: the locked row, then the caller's scope on it.
absl::StatusOr<v1::Participant> LockParticipant(db::Session& tx, const std::string& id,
                                                const AuthorizeParticipant& authorize) {
  ASSIGN_OR_RETURN(std::optional<v1::Participant> participant, ReadParticipant(tx, id, /*for_update=*/true));
  if (!participant) return NotFound("participant");
  RETURN_IF_ERROR(authorize(*participant));
  return *participant;
}

}  // namespace

// ---------------------------------------------------------------------------------------------- participants

absl::StatusOr<v1::RegisterParticipantResponse> MariaDbTrainingStore::RegisterParticipant(
    const IdempotencyKey& key, const Actor& actor, const v1::Participant& p) {
  return IdempotentTransaction<v1::RegisterParticipantResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::RegisterParticipantResponse> {
        const std::string id = ids_.Next();
        const std::string now = ToSqlTimestamp(actor.at);
        const int64_t stage = p.kind() == v1::PARTICIPANT_KIND_VOLUNTEER ? v1::VOLUNTEER_STAGE_APPLIED : 0;
        RETURN_IF_ERROR(tx.Execute(kInsertParticipant,
                                   {id, int64_t{p.kind()}, p.organisation_id(), p.home_division_code(),
                                    p.display_name(), stage, JoinTexts(p.languages()), JoinTexts(p.skills()),
                                    int64_t{p.weekend_available() ? 1 : 0}, TextOrNull(p.supervisor_id()),
                                    TextOrNull(p.registry_child_id()), TextOrNull(p.registry_household_id()),
                                    int64_t{v1::BACKGROUND_CHECK_STATUS_NOT_STARTED}, now, now})
                            .status());
        v1::RegisterParticipantResponse response;
        ASSIGN_OR_RETURN(*response.mutable_participant(),
                         Written(ReadParticipant(tx, id, false), "participant"));
        return response;
      });
}

absl::StatusOr<std::optional<v1::Participant>> MariaDbTrainingStore::GetParticipant(const std::string& id) {
  return db::ReadOne<std::optional<v1::Participant>>(
      pool_, [&](db::Session& s) { return ReadParticipant(s, id, /*for_update=*/false); });
}

absl::StatusOr<std::vector<v1::Participant>> MariaDbTrainingStore::ListParticipants(
    const ParticipantFilter& f) {
  std::vector<v1::Participant> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query(kListParticipants,
                             {f.division_prefix, DivisionPrefixEnd(f.division_prefix), f.organisation_id,
                              f.organisation_id, int64_t{f.kind}, int64_t{f.kind}, int64_t{f.stage},
                              int64_t{f.stage}, f.page.after_id, int64_t{f.page.limit}}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(v1::Participant p, ParticipantFromRow(row));
      out.push_back(std::move(p));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::ChangeVolunteerStageResponse> MariaDbTrainingStore::ChangeVolunteerStage(
    const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
    v1::VolunteerStage stage, const std::string& reason, const AuthorizeParticipant& authorize) {
  return IdempotentTransaction<v1::ChangeVolunteerStageResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ChangeVolunteerStageResponse> {
        ASSIGN_OR_RETURN(v1::Participant current, LockParticipant(tx, participant_id, authorize));
        ASSIGN_OR_RETURN(StageChange change, ChangeStage(current, stage, reason, actor));
        const std::string now = ToSqlTimestamp(actor.at);
        RETURN_IF_ERROR(
            tx.Execute(kUpdateStage, {int64_t{change.updated.stage()}, now, participant_id}).status());
        RETURN_IF_ERROR(tx.Execute(kInsertStageChange,
                                   {ids_.Next(), participant_id, int64_t{change.from},
                                    int64_t{change.updated.stage()}, change.reason, actor.subject, now})
                            .status());
        if (change.event) RETURN_IF_ERROR(outbox_.Append(tx, participant_id, *change.event, actor.at));
        v1::ChangeVolunteerStageResponse response;
        ASSIGN_OR_RETURN(*response.mutable_participant(),
                         Written(ReadParticipant(tx, participant_id, false), "participant"));
        return response;
      });
}

absl::StatusOr<v1::Participant> MariaDbTrainingStore::ApplySuspension(db::Session& tx, const Actor& actor,
                                                                      const std::string& participant_id,
                                                                      const SuspensionChange& change) {
  if (!change.placed && !change.lifted) return change.updated;  // nothing changes
  const std::string now = ToSqlTimestamp(actor.at);
  if (change.placed) {
    const SuspensionHold& h = *change.placed;
    RETURN_IF_ERROR(
        tx.Execute(kInsertSuspensionHold,
                   {participant_id, int64_t{h.reason}, h.reference, h.placed_by, ToSqlTimestamp(h.placed_at),
                    int64_t{h.authority.system ? 1 : 0}, h.authority.organisation})
            .status());
  }
  if (change.lifted) {
    RETURN_IF_ERROR(tx.Execute(kDeleteSuspensionHold,
                               {participant_id, int64_t{change.lifted->reason}, change.lifted->reference})
                        .status());
  }
  const bool suspended = change.updated.has_suspension();
  const v1::Suspension& s = change.updated.suspension();
  db::Value suspended_at = db::Null{};
  if (suspended) suspended_at = ToSqlTimestamp(FromProtoTimestamp(s.suspended_at()));
  RETURN_IF_ERROR(
      tx.Execute(kUpdateSuspension,
                 {suspended ? db::Value(int64_t{s.reason()}) : db::Value(db::Null{}),
                  suspended ? db::Value(s.reference()) : db::Value(db::Null{}), suspended_at,
                  suspended ? db::Value(s.suspended_by()) : db::Value(db::Null{}), now, participant_id})
          .status());
  RETURN_IF_ERROR(
      tx.Execute(kInsertSuspensionChange,
                 {ids_.Next(), participant_id, int64_t{change.placed ? 1 : 0}, int64_t{change.reason},
                  change.placed ? change.placed->reference : change.lifted->reference, actor.subject, now})
          .status());
  if (change.event) RETURN_IF_ERROR(outbox_.Append(tx, participant_id, *change.event, actor.at));
  return Written(ReadParticipant(tx, participant_id, false), "participant");
}

absl::StatusOr<std::vector<SuspensionHold>> MariaDbTrainingStore::LockSuspensionHolds(
    db::Session& tx, const std::string& participant_id) {
  ASSIGN_OR_RETURN(db::Rows rows, tx.Query(kLockSuspensionHolds, {participant_id}));
  std::vector<SuspensionHold> holds;
  for (const db::Row& row : rows) {
    SuspensionHold& h = holds.emplace_back();
    h.reason = static_cast<v1::SuspensionReason>(row.Int(0));
    h.reference = row.String(1);
    h.placed_by = row.String(2);
    ASSIGN_OR_RETURN(h.placed_at, FromSqlTimestamp(row.String(3)));
    h.authority.system = row.Int(4) != 0;
    h.authority.organisation = row.String(5);
  }
  return holds;
}

absl::StatusOr<v1::SuspendParticipantResponse> MariaDbTrainingStore::SuspendParticipant(
    const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
    const SuspensionCommand& command, const AuthorizeParticipant& authorize) {
  return IdempotentTransaction<v1::SuspendParticipantResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::SuspendParticipantResponse> {
        ASSIGN_OR_RETURN(v1::Participant current, LockParticipant(tx, participant_id, authorize));
        ASSIGN_OR_RETURN(std::vector<SuspensionHold> holds, LockSuspensionHolds(tx, participant_id));
        const SuspensionChange change =
            Suspend(current, holds, command.reason, command.reference, command.by, actor);
        v1::SuspendParticipantResponse response;
        ASSIGN_OR_RETURN(*response.mutable_participant(), ApplySuspension(tx, actor, participant_id, change));
        return response;
      });
}

absl::StatusOr<v1::ReinstateParticipantResponse> MariaDbTrainingStore::ReinstateParticipant(
    const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
    const SuspensionCommand& command, const AuthorizeParticipant& authorize) {
  return IdempotentTransaction<v1::ReinstateParticipantResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ReinstateParticipantResponse> {
        ASSIGN_OR_RETURN(v1::Participant current, LockParticipant(tx, participant_id, authorize));
        ASSIGN_OR_RETURN(std::vector<SuspensionHold> holds, LockSuspensionHolds(tx, participant_id));
        ASSIGN_OR_RETURN(SuspensionChange change,
                         Reinstate(current, holds, command.reason, command.hold_reference, command.reference,
                                   command.by, actor));
        v1::ReinstateParticipantResponse response;
        ASSIGN_OR_RETURN(*response.mutable_participant(), ApplySuspension(tx, actor, participant_id, change));
        return response;
      });
}

absl::StatusOr<v1::RecordBackgroundCheckResponse> MariaDbTrainingStore::RecordBackgroundCheck(
    const IdempotencyKey& key, const Actor& actor, const std::string& participant_id,
    const v1::BackgroundCheck& check, const AuthorizeParticipant& authorize) {
  return IdempotentTransaction<v1::RecordBackgroundCheckResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::RecordBackgroundCheckResponse> {
        ASSIGN_OR_RETURN(v1::Participant current, LockParticipant(tx, participant_id, authorize));
        const BackgroundCheckRecord record = RecordCheck(current, check, actor);
        const v1::BackgroundCheck& c = record.updated.background_check();
        const std::string now = ToSqlTimestamp(actor.at);
        RETURN_IF_ERROR(tx.Execute(kUpdateBackground, {int64_t{c.status()}, DateOrNull(c.checked_on()),
                                                       DateOrNull(c.expires_on()), now, participant_id})
                            .status());
        RETURN_IF_ERROR(tx.Execute(kInsertBackgroundCheck, {ids_.Next(), participant_id, int64_t{c.status()},
                                                            DateOrNull(c.checked_on()),
                                                            DateOrNull(c.expires_on()), actor.subject, now})
                            .status());
        RETURN_IF_ERROR(outbox_.Append(tx, participant_id, *record.event, actor.at));
        v1::RecordBackgroundCheckResponse response;
        ASSIGN_OR_RETURN(*response.mutable_participant(),
                         Written(ReadParticipant(tx, participant_id, false), "participant"));
        return response;
      });
}

// --------------------------------------------------------------------------------------------------- courses

absl::StatusOr<v1::CreateCourseResponse> MariaDbTrainingStore::CreateCourse(const IdempotencyKey& key,
                                                                            const Actor& actor,
                                                                            const v1::Course& c) {
  return IdempotentTransaction<v1::CreateCourseResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::CreateCourseResponse> {
        ASSIGN_OR_RETURN(std::optional<db::Row> taken, tx.QueryOne(kCourseByCode, {c.code()}));
        if (taken) return absl::AlreadyExistsError("a course with this code exists");
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(
            tx.Execute(kInsertCourse, {id, c.code(), c.title(), int64_t{c.hours()}, JoinEnums(c.topics()),
                                       JoinEnums(c.audiences()), int64_t{c.pass_mark()},
                                       int64_t{c.validity_months()}, ToSqlTimestamp(actor.at)})
                .status());
        std::set<int> activities(c.required_for().begin(), c.required_for().end());
        for (int activity : activities) {
          RETURN_IF_ERROR(tx.Execute(kInsertRequirement, {int64_t{activity}, id}).status());
        }
        v1::CreateCourseResponse response;
        ASSIGN_OR_RETURN(*response.mutable_course(), Written(ReadCourse(tx, id), "course"));
        return response;
      });
}

absl::StatusOr<std::optional<v1::Course>> MariaDbTrainingStore::GetCourse(const std::string& id) {
  return db::ReadOne<std::optional<v1::Course>>(pool_, [&](db::Session& s) { return ReadCourse(s, id); });
}

absl::StatusOr<std::vector<v1::Course>> MariaDbTrainingStore::ListCourses(int required_for,
                                                                          const PageRequest& page) {
  std::vector<v1::Course> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kListCourses, {page.after_id, int64_t{required_for},
                                                           int64_t{required_for}, int64_t{page.limit}}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(v1::Course c, CourseFromRow(row));
      out.push_back(std::move(c));
    }
    return absl::OkStatus();
  }));
  return out;
}

// ------------------------------------------------------------------------------------ sessions, enrollments

absl::StatusOr<v1::ScheduleSessionResponse> MariaDbTrainingStore::ScheduleSession(const IdempotencyKey& key,
                                                                                  const Actor& actor,
                                                                                  const v1::Session& s) {
  return IdempotentTransaction<v1::ScheduleSessionResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ScheduleSessionResponse> {
        ASSIGN_OR_RETURN(std::optional<v1::Course> course, ReadCourse(tx, s.course_id()));
        if (!course) return NotFound("course");
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(tx.Execute(kInsertSession,
                                   {id, course->id(), s.organisation_id(), s.division_code(), s.location(),
                                    s.trainer(), ToSqlTimestamp(FromProtoTimestamp(s.starts_at())),
                                    ToSqlTimestamp(FromProtoTimestamp(s.ends_at())), int64_t{s.capacity()},
                                    ToSqlTimestamp(actor.at)})
                            .status());
        v1::ScheduleSessionResponse response;
        ASSIGN_OR_RETURN(*response.mutable_session(), Written(ReadSession(tx, id), "session"));
        return response;
      });
}

absl::StatusOr<std::optional<v1::Session>> MariaDbTrainingStore::GetSession(const std::string& id) {
  return db::ReadOne<std::optional<v1::Session>>(pool_, [&](db::Session& s) { return ReadSession(s, id); });
}

absl::StatusOr<std::vector<v1::Enrollment>> MariaDbTrainingStore::ListSessionEnrollments(
    const std::string& session_id, const std::string& organisation_id, const PageRequest& page) {
  std::vector<v1::Enrollment> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kListEnrollments, {session_id, organisation_id, organisation_id,
                                                               page.after_id, int64_t{page.limit}}));
    for (const db::Row& row : rows) out.push_back(EnrollmentFromRow(row));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::optional<v1::Enrollment>> MariaDbTrainingStore::GetEnrollment(const std::string& id) {
  return db::ReadOne<std::optional<v1::Enrollment>>(
      pool_, [&](db::Session& s) { return ReadEnrollment(s, id, /*for_update=*/false); });
}

absl::StatusOr<v1::EnrollResponse> MariaDbTrainingStore::Enroll(const IdempotencyKey& key, const Actor& actor,
                                                                const std::string& session_id,
                                                                const std::string& participant_id,
                                                                const AuthorizeEnrollment& authorize) {
  return IdempotentTransaction<v1::EnrollResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::EnrollResponse> {
        // The session row (places) and then the participant's: a concurrent ChangeVolunteerStage to LEFT
        // either commits before this reads the stage, or waits until this enrollment has committed.
        ASSIGN_OR_RETURN(std::optional<db::Row> session_row, tx.QueryOne(kLockSession, {session_id}));
        if (!session_row) return NotFound("session");
        ASSIGN_OR_RETURN(v1::Session session, SessionFromRow(*session_row));
        ASSIGN_OR_RETURN(std::optional<v1::Participant> participant,
                         ReadParticipant(tx, participant_id, /*for_update=*/true));
        if (!participant) return NotFound("participant");
        RETURN_IF_ERROR(authorize(session, *participant));
        ASSIGN_OR_RETURN(v1::Course course, Written(ReadCourse(tx, session.course_id()), "session's course"));
        RETURN_IF_ERROR(MayEnroll(course, *participant));
        ASSIGN_OR_RETURN(std::optional<db::Row> existing,
                         tx.QueryOne(kActiveEnrollmentOf,
                                     {participant_id, session_id, int64_t{v1::ENROLLMENT_STATUS_ENROLLED},
                                      int64_t{v1::ENROLLMENT_STATUS_WAITLISTED}}));
        if (existing) return absl::AlreadyExistsError("the participant is already enrolled or waitlisted");
        // The enrollment relies on the stage and suspension read under the lock: write the row, so that a
        // ChangeVolunteerStage or SuspendParticipant on another Galera node conflicts with this enrollment.
        RETURN_IF_ERROR(tx.Execute(kTouchParticipant, {participant_id}).status());
        const v1::EnrollmentStatus place = PlaceFor(session.capacity(), session.enrolled_count());
        int64_t position = 0;
        if (place == v1::ENROLLMENT_STATUS_ENROLLED) {
          RETURN_IF_ERROR(tx.Execute(kTakePlace, {session_id}).status());
        } else {
          position = session_row->Int(11) + 1;
          RETURN_IF_ERROR(tx.Execute(kJoinWaitlist, {position, session_id}).status());
        }
        const std::string id = ids_.Next();
        const std::string now = ToSqlTimestamp(actor.at);
        RETURN_IF_ERROR(tx.Execute(kInsertEnrollment,
                                   {id, session_id, participant_id, int64_t{place}, position, now, now})
                            .status());
        v1::EnrollResponse response;
        ASSIGN_OR_RETURN(*response.mutable_enrollment(),
                         Written(ReadEnrollment(tx, id, false), "enrollment"));
        return response;
      });
}

struct MariaDbTrainingStore::LockedEnrollment {
  v1::Enrollment enrollment;
  v1::Session session;
};

absl::StatusOr<MariaDbTrainingStore::LockedEnrollment> MariaDbTrainingStore::LockEnrollment(
    db::Session& tx, const std::string& enrollment_id, const AuthorizeEnrollment& authorize) {
  // The session row first, as Enroll does, so the two never wait on each other in opposite order.
  ASSIGN_OR_RETURN(std::optional<v1::Enrollment> unlocked, ReadEnrollment(tx, enrollment_id, false));
  if (!unlocked) return NotFound("enrollment");
  ASSIGN_OR_RETURN(std::optional<db::Row> session_row, tx.QueryOne(kLockSession, {unlocked->session_id()}));
  if (!session_row) return NotFound("enrollment");
  LockedEnrollment locked;
  ASSIGN_OR_RETURN(locked.session, SessionFromRow(*session_row));
  ASSIGN_OR_RETURN(std::optional<v1::Enrollment> enrollment, ReadEnrollment(tx, enrollment_id, true));
  if (!enrollment) return NotFound("enrollment");
  locked.enrollment = *std::move(enrollment);
  // A participant's organisation and home never change: a plain read judges scope as well as a locked one.
  ASSIGN_OR_RETURN(v1::Participant participant,
                   Written(ReadParticipant(tx, locked.enrollment.participant_id(), false), "participant"));
  RETURN_IF_ERROR(authorize(locked.session, participant));
  return locked;
}

absl::StatusOr<v1::CancelEnrollmentResponse> MariaDbTrainingStore::CancelEnrollment(
    const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id,
    const AuthorizeEnrollment& authorize) {
  return IdempotentTransaction<v1::CancelEnrollmentResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::CancelEnrollmentResponse> {
        ASSIGN_OR_RETURN(LockedEnrollment locked, LockEnrollment(tx, enrollment_id, authorize));
        const v1::Enrollment& current = locked.enrollment;
        const std::string& session_id = current.session_id();
        if (current.status() == v1::ENROLLMENT_STATUS_CANCELLED) {
          return absl::FailedPreconditionError("the enrollment is already cancelled");
        }
        if (current.attendance_recorded() || current.assessed()) {
          return absl::FailedPreconditionError(
              "attendance or assessment is recorded; it cannot be cancelled");
        }
        const std::string now = ToSqlTimestamp(actor.at);
        RETURN_IF_ERROR(
            tx.Execute(kSetEnrollmentStatus, {int64_t{v1::ENROLLMENT_STATUS_CANCELLED}, now, enrollment_id})
                .status());
        v1::CancelEnrollmentResponse response;
        if (current.status() == v1::ENROLLMENT_STATUS_WAITLISTED) {
          RETURN_IF_ERROR(tx.Execute(kLeaveWaitlist, {session_id}).status());
        } else {
          RETURN_IF_ERROR(tx.Execute(kFreePlace, {session_id}).status());
          ASSIGN_OR_RETURN(
              std::optional<db::Row> next,
              tx.QueryOne(kFirstWaitlisted, {session_id, int64_t{v1::ENROLLMENT_STATUS_WAITLISTED}}));
          if (next) {
            const std::string promoted = next->String(0);
            RETURN_IF_ERROR(
                tx.Execute(kSetEnrollmentStatus, {int64_t{v1::ENROLLMENT_STATUS_ENROLLED}, now, promoted})
                    .status());
            RETURN_IF_ERROR(tx.Execute(kPromoteCounts, {session_id}).status());
            ASSIGN_OR_RETURN(*response.mutable_promoted(),
                             Written(ReadEnrollment(tx, promoted, false), "enrollment"));
          }
        }
        ASSIGN_OR_RETURN(*response.mutable_enrollment(),
                         Written(ReadEnrollment(tx, enrollment_id, false), "enrollment"));
        return response;
      });
}

absl::StatusOr<std::optional<v1::Certification>> MariaDbTrainingStore::IssueIfEarned(
    db::Session& tx, const Actor& actor, const std::string& enrollment_id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kEarnedFacts, {enrollment_id}));
  if (!row) return NotFound("enrollment");
  if (!row->IsNull(8) || !CertificationEarned(row->Int(1) != 0, !row->IsNull(2),
                                              static_cast<int>(row->Int(2)), static_cast<int>(row->Int(3)))) {
    return std::optional<v1::Certification>();
  }
  ASSIGN_OR_RETURN(absl::Time starts_at, FromSqlTimestamp(row->String(7)));
  const absl::CivilDay issued = ShanghaiDay(starts_at);
  const absl::CivilDay expires = AddMonths(issued, static_cast<int>(row->Int(4)));
  const std::string id = ids_.Next();
  const std::string now = ToSqlTimestamp(actor.at);
  RETURN_IF_ERROR(tx.Execute(kInsertCertification, {id, row->String(0), row->String(5), enrollment_id,
                                                    DayText(issued), DayText(expires), int64_t{0}, now, now})
                      .status());
  RETURN_IF_ERROR(tx.Execute(kSetEnrollmentCertification, {id, now, enrollment_id}).status());
  v1::CertificationIssued event;
  event.set_certification_id(id);
  event.set_participant_id(row->String(0));
  event.set_course_code(row->String(6));
  event.set_issued_on(DayText(issued));
  event.set_expires_on(DayText(expires));
  RETURN_IF_ERROR(outbox_.Append(tx, row->String(0), event, actor.at));
  ASSIGN_OR_RETURN(v1::Certification cert,
                   Written(ReadCertification(tx, id, ShanghaiDay(actor.at)), "certification"));
  return std::optional<v1::Certification>(std::move(cert));
}

template <typename Response>
absl::StatusOr<Response> MariaDbTrainingStore::RecordResult(const IdempotencyKey& key, const Actor& actor,
                                                            const std::string& enrollment_id,
                                                            absl::string_view what,
                                                            absl::string_view update_sql, int64_t value,
                                                            const AuthorizeEnrollment& authorize) {
  return IdempotentTransaction<Response>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<Response> {
        ASSIGN_OR_RETURN(LockedEnrollment locked, LockEnrollment(tx, enrollment_id, authorize));
        const v1::Enrollment& current = locked.enrollment;
        if (current.status() != v1::ENROLLMENT_STATUS_ENROLLED) {
          return absl::FailedPreconditionError(
              absl::StrCat("only an enrollment holding a place has its ", what, " recorded"));
        }
        if (!current.certification_id().empty()) {
          return absl::FailedPreconditionError(
              absl::StrCat("the certificate is issued; the ", what, " can no longer change"));
        }
        if (!current.renewed_certification_id().empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "the enrollment renewed a certificate as its refresher; the ", what, " can no longer change"));
        }
        RETURN_IF_ERROR(MayRecordResults(FromProtoTimestamp(locked.session.starts_at()), actor.at));
        RETURN_IF_ERROR(tx.Execute(update_sql, {value, ToSqlTimestamp(actor.at), enrollment_id}).status());
        Response response;
        ASSIGN_OR_RETURN(std::optional<v1::Certification> cert, IssueIfEarned(tx, actor, enrollment_id));
        if (cert) *response.mutable_certification() = *std::move(cert);
        ASSIGN_OR_RETURN(*response.mutable_enrollment(),
                         Written(ReadEnrollment(tx, enrollment_id, false), "enrollment"));
        return response;
      });
}

absl::StatusOr<v1::RecordAttendanceResponse> MariaDbTrainingStore::RecordAttendance(
    const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id, bool attended,
    const AuthorizeEnrollment& authorize) {
  return RecordResult<v1::RecordAttendanceResponse>(key, actor, enrollment_id, "attendance", kSetAttendance,
                                                    attended ? 1 : 0, authorize);
}

absl::StatusOr<v1::RecordAssessmentResponse> MariaDbTrainingStore::RecordAssessment(
    const IdempotencyKey& key, const Actor& actor, const std::string& enrollment_id, int score,
    const AuthorizeEnrollment& authorize) {
  return RecordResult<v1::RecordAssessmentResponse>(key, actor, enrollment_id, "score", kSetScore, score,
                                                    authorize);
}

// ------------------------------------------------------------------------------------------- certifications

absl::StatusOr<std::optional<v1::Certification>> MariaDbTrainingStore::GetCertification(
    const std::string& id) {
  return db::ReadOne<std::optional<v1::Certification>>(
      pool_, [&](db::Session& s) { return ReadCertification(s, id, ShanghaiDay(clock_.Now())); });
}

absl::StatusOr<std::vector<v1::Certification>> MariaDbTrainingStore::ListCertifications(
    const std::string& participant_id, const PageRequest& page) {
  std::vector<v1::Certification> out;
  const absl::CivilDay today = ShanghaiDay(clock_.Now());
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query(kListCertifications, {participant_id, page.after_id, int64_t{page.limit}}));
    for (const db::Row& row : rows) out.push_back(CertificationFromRow(row, today));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::RenewCertificationResponse> MariaDbTrainingStore::RenewCertification(
    const IdempotencyKey& key, const Actor& actor, const std::string& certification_id,
    absl::CivilDay renewed_on, const std::string& refresher_enrollment_id,
    const AuthorizeParticipant& authorize) {
  return IdempotentTransaction<v1::RenewCertificationResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::RenewCertificationResponse> {
        ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockCertification, {certification_id}));
        if (!row) return NotFound("certification");
        ASSIGN_OR_RETURN(v1::Participant holder,
                         Written(ReadParticipant(tx, row->String(1), false), "certificate holder"));
        if (!authorize(holder).ok()) return NotFound("certification");
        RETURN_IF_ERROR(MayRenew(row->Int(7) != 0));
        // The refresher's row is locked (after the certificate's, as nothing locks them the other way) so
        // that its attendance cannot change under the renewal; a session's course and start never change.
        ASSIGN_OR_RETURN(std::optional<v1::Enrollment> attended,
                         ReadEnrollment(tx, refresher_enrollment_id, true));
        if (!attended) return NotFound("refresher enrollment");
        ASSIGN_OR_RETURN(v1::Session session,
                         Written(ReadSession(tx, attended->session_id()), "refresher's session"));
        const Refresher refresher{attended->participant_id(),
                                  session.course_id(),
                                  attended->attendance_recorded() && attended->attended(),
                                  !attended->certification_id().empty(),
                                  attended->renewed_certification_id(),
                                  ShanghaiDay(FromProtoTimestamp(session.starts_at()))};
        RETURN_IF_ERROR(
            CheckRefresher(refresher, {certification_id, holder.id(), row->String(2)}, renewed_on));
        CertificatePeriod current{DayOf(row->String(5)), DayOf(row->String(6)), std::nullopt};
        if (!row->IsNull(10)) current.renewed_on = DayOf(row->String(10));
        ASSIGN_OR_RETURN(const CertificatePeriod renewed,
                         Renew(current, renewed_on, static_cast<int>(row->Int(9))));
        const absl::CivilDay today = ShanghaiDay(actor.at);
        const bool still_due = renewed.expires_on <= today;
        RETURN_IF_ERROR(tx.Execute(kRenewCertification,
                                   {DayText(renewed.issued_on), DayText(renewed.expires_on),
                                    DayText(renewed_on), refresher_enrollment_id, int64_t{still_due ? 1 : 0},
                                    ToSqlTimestamp(actor.at), certification_id})
                            .status());
        RETURN_IF_ERROR(
            tx.Execute(kMarkRefresher, {certification_id, ToSqlTimestamp(actor.at), refresher_enrollment_id})
                .status());
        v1::CertificationIssued event;
        event.set_certification_id(certification_id);
        event.set_participant_id(holder.id());
        event.set_course_code(row->String(3));
        event.set_issued_on(DayText(renewed_on));
        event.set_expires_on(DayText(renewed.expires_on));
        event.set_renewal(true);
        RETURN_IF_ERROR(outbox_.Append(tx, holder.id(), event, actor.at));
        v1::RenewCertificationResponse response;
        ASSIGN_OR_RETURN(*response.mutable_certification(),
                         Written(ReadCertification(tx, certification_id, today), "certification"));
        return response;
      });
}

absl::StatusOr<v1::RevokeCertificationResponse> MariaDbTrainingStore::RevokeCertification(
    const IdempotencyKey& key, const Actor& actor, const std::string& certification_id,
    const std::string& reason, const AuthorizeParticipant& authorize) {
  return IdempotentTransaction<v1::RevokeCertificationResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::RevokeCertificationResponse> {
        ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kLockCertification, {certification_id}));
        if (!row) return NotFound("certification");
        ASSIGN_OR_RETURN(v1::Participant holder,
                         Written(ReadParticipant(tx, row->String(1), false), "certificate holder"));
        if (!authorize(holder).ok()) return NotFound("certification");
        RETURN_IF_ERROR(MayRevoke(row->Int(7) != 0));
        RETURN_IF_ERROR(
            tx.Execute(kRevokeCertification, {reason, ToSqlTimestamp(actor.at), certification_id}).status());
        v1::CertificationRevoked event;
        event.set_certification_id(certification_id);
        event.set_participant_id(holder.id());
        event.set_course_code(row->String(3));
        event.set_reason(reason);
        ASSIGN_OR_RETURN(db::Rows activities, tx.Query(kCourseRequirements, {row->String(2)}));
        for (const db::Row& a : activities) event.add_required_for(static_cast<v1::Activity>(a.Int(0)));
        RETURN_IF_ERROR(outbox_.Append(tx, holder.id(), event, actor.at));
        v1::RevokeCertificationResponse response;
        ASSIGN_OR_RETURN(
            *response.mutable_certification(),
            Written(ReadCertification(tx, certification_id, ShanghaiDay(actor.at)), "certification"));
        return response;
      });
}

absl::StatusOr<int> MariaDbTrainingStore::WriteDueExpiryEvents(absl::CivilDay today) {
  constexpr int kBatch = 200;
  int written = 0;
  while (true) {
    db::Rows due;
    RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(due, s.Query(kDueExpiries, {DayText(today), int64_t{kBatch}}));
      return absl::OkStatus();
    }));
    for (const db::Row& candidate : due) {
      const std::string id = candidate.String(0);
      RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(uint64_t marked,
                         tx.Execute(kMarkExpiryWritten, {ToSqlTimestamp(now), id, DayText(today)}));
        if (marked == 0) return absl::OkStatus();  // another replica wrote it
        ASSIGN_OR_RETURN(v1::Certification cert, Written(ReadCertification(tx, id, today), "certification"));
        ASSIGN_OR_RETURN(db::Rows activities, tx.Query(kCourseRequirements, {cert.course_id()}));
        v1::CertificationExpired event;
        event.set_certification_id(id);
        event.set_participant_id(cert.participant_id());
        event.set_course_code(cert.course_code());
        event.set_expired_on(cert.expires_on());
        for (const db::Row& a : activities) event.add_required_for(static_cast<v1::Activity>(a.Int(0)));
        ASSIGN_OR_RETURN(std::optional<db::Row> in_force,
                         tx.QueryOne(kCertificateOfCourseInForce, {cert.participant_id(), cert.course_id(),
                                                                   id, DayText(today), DayText(today)}));
        if (in_force) event.set_superseded_by(in_force->String(0));
        RETURN_IF_ERROR(outbox_.Append(tx, cert.participant_id(), event, now));
        ++written;
        return absl::OkStatus();
      }));
    }
    if (static_cast<int>(due.size()) < kBatch) return written;
  }
}

// -------------------------------------------------------------------------------------------- qualification

absl::StatusOr<QualificationFacts> MariaDbTrainingStore::LoadOneQualificationFacts(const std::string& id,
                                                                                   int activity) {
  QualificationFacts facts;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows people, s.Query(kOneParticipantStanding, {id}));
    if (people.empty()) return absl::OkStatus();
    const db::Row& r = people.front();
    ParticipantStanding p;
    p.id = r.String(0);
    p.organisation_id = r.String(1);
    p.home_division_code = r.String(2);
    p.kind = static_cast<v1::ParticipantKind>(r.Int(3));
    p.stage = static_cast<v1::VolunteerStage>(r.Int(4));
    p.background_status = static_cast<v1::BackgroundCheckStatus>(r.Int(5));
    p.background_checked_on = OptDay(r, 6);
    p.background_expires_on = OptDay(r, 7);
    if (!r.IsNull(10)) p.suspension = static_cast<v1::SuspensionReason>(r.Int(10));
    for (const db::Row& o : people) {
      if (!o.IsNull(8))
        facts.organisations[p.organisation_id].push_back(
            {p.organisation_id, DayOf(o.String(8)), DayOf(o.String(9))});
    }
    facts.participants.emplace(p.id, std::move(p));
    ASSIGN_OR_RETURN(db::Rows courses, s.Query(kRequiredWithCertifications, {id, int64_t{activity}}));
    for (const db::Row& c : courses) {
      if (facts.required.empty() || facts.required.back().course_id != c.String(0)) {
        facts.required.push_back({c.String(0), c.String(1)});
      }
      if (!c.IsNull(2))
        facts.certifications[id].push_back(
            {c.String(0), DayOf(c.String(2)), DayOf(c.String(3)), c.Int(4) != 0});
    }
    return absl::OkStatus();
  }));
  return facts;
}

absl::StatusOr<QualificationFacts> MariaDbTrainingStore::LoadQualificationFacts(
    const std::vector<std::string>& participant_ids, int activity) {
  if (participant_ids.size() == 1) return LoadOneQualificationFacts(participant_ids.front(), activity);
  static const std::string participants_sql = InList(kParticipantStandingIn);
  static const std::string certifications_sql = InList(kCertificationStandingIn);
  static const std::string organisations_sql = InList(kOrganisationStandingIn);
  QualificationFacts facts;
  // One snapshot for the whole answer.
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    facts = QualificationFacts();
    ASSIGN_OR_RETURN(db::Rows required, tx.Query(kRequiredCourses, {int64_t{activity}}));
    for (const db::Row& r : required) facts.required.push_back({r.String(0), r.String(1)});
    std::vector<std::string> ids = participant_ids;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    db::Rows people;
    RETURN_IF_ERROR(QueryIn(tx, participants_sql, ids, people));
    std::set<std::string> organisations;
    std::vector<std::string> found;
    for (const db::Row& r : people) {
      ParticipantStanding p;
      p.id = r.String(0);
      p.organisation_id = r.String(1);
      p.home_division_code = r.String(2);
      p.kind = static_cast<v1::ParticipantKind>(r.Int(3));
      p.stage = static_cast<v1::VolunteerStage>(r.Int(4));
      p.background_status = static_cast<v1::BackgroundCheckStatus>(r.Int(5));
      p.background_checked_on = OptDay(r, 6);
      p.background_expires_on = OptDay(r, 7);
      if (!r.IsNull(8)) p.suspension = static_cast<v1::SuspensionReason>(r.Int(8));
      organisations.insert(p.organisation_id);
      found.push_back(p.id);
      facts.participants.emplace(p.id, std::move(p));
    }
    if (!facts.required.empty() && !found.empty()) {
      db::Rows certs;
      RETURN_IF_ERROR(QueryIn(tx, certifications_sql, found, certs));
      for (const db::Row& r : certs) {
        facts.certifications[r.String(0)].push_back(
            {r.String(1), DayOf(r.String(2)), DayOf(r.String(3)), r.Int(4) != 0});
      }
    }
    db::Rows standing;
    RETURN_IF_ERROR(QueryIn(tx, organisations_sql,
                            std::vector<std::string>(organisations.begin(), organisations.end()), standing));
    for (const db::Row& r : standing) {
      facts.organisations[r.String(0)].push_back({r.String(0), DayOf(r.String(1)), DayOf(r.String(2))});
    }
    return absl::OkStatus();
  }));
  return facts;
}

absl::StatusOr<std::vector<OrganisationStanding>> MariaDbTrainingStore::LoadOrganisationStanding(
    const std::string& organisation_id) {
  std::vector<OrganisationStanding> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kOrganisationStanding, {organisation_id}));
    for (const db::Row& r : rows) out.push_back({r.String(0), DayOf(r.String(1)), DayOf(r.String(2))});
    return absl::OkStatus();
  }));
  return out;
}

// ------------------------------------------------------------------------------------------- organisations

absl::StatusOr<v1::RecordOrganisationQualificationResponse>
MariaDbTrainingStore::RecordOrganisationQualification(const IdempotencyKey& key, const Actor& actor,
                                                      const v1::OrganisationQualification& q) {
  return IdempotentTransaction<v1::RecordOrganisationQualificationResponse>(
      pool_, key, actor.at,
      [&](db::Session& tx) -> absl::StatusOr<v1::RecordOrganisationQualificationResponse> {
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(tx.Execute(kInsertOrganisationQualification,
                                   {id, q.organisation_id(), q.organisation_name(), q.division_code(),
                                    q.registration_number(), int64_t{q.grade()}, q.assessed_by(),
                                    q.assessed_on(), q.expires_on(), ToSqlTimestamp(actor.at)})
                            .status());
        v1::RecordOrganisationQualificationResponse response;
        ASSIGN_OR_RETURN(*response.mutable_qualification(),
                         Written(ReadRecord<v1::OrganisationQualification>(
                                     tx, kSelectOrganisationQualification, id,
                                     [](const db::Row& row) -> absl::StatusOr<v1::OrganisationQualification> {
                                       return OrganisationQualificationFromRow(row);
                                     }),
                                 "organisation qualification"));
        return response;
      });
}

absl::StatusOr<std::vector<v1::OrganisationQualification>>
MariaDbTrainingStore::ListOrganisationQualifications(const std::string& organisation_id,
                                                     const PageRequest& page) {
  std::vector<v1::OrganisationQualification> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kListOrganisationQualifications,
                                            {organisation_id, page.after_id, int64_t{page.limit}}));
    for (const db::Row& row : rows) out.push_back(OrganisationQualificationFromRow(row));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::RecordOrganisationTrainingResponse> MariaDbTrainingStore::RecordOrganisationTraining(
    const IdempotencyKey& key, const Actor& actor, const v1::OrganisationTraining& t) {
  return IdempotentTransaction<v1::RecordOrganisationTrainingResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::RecordOrganisationTrainingResponse> {
        const std::string id = ids_.Next();
        RETURN_IF_ERROR(
            tx.Execute(kInsertOrganisationTraining,
                       {id, t.organisation_id(), t.division_code(), t.title(), int64_t{t.hours()},
                        t.held_on(), t.provided_by(), int64_t{t.attendees()}, ToSqlTimestamp(actor.at)})
                .status());
        ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kSelectOrganisationTraining, {id}));
        if (!row) return tx.WriteVanished("the organisation training");
        v1::RecordOrganisationTrainingResponse response;
        v1::OrganisationTraining* written = response.mutable_training();
        written->set_id(row->String(0));
        written->set_organisation_id(row->String(1));
        written->set_division_code(row->String(2));
        written->set_title(row->String(3));
        written->set_hours(static_cast<int32_t>(row->Int(4)));
        written->set_held_on(row->String(5));
        written->set_provided_by(row->String(6));
        written->set_attendees(static_cast<int32_t>(row->Int(7)));
        return response;
      });
}

// ------------------------------------------------------------------------------------------------- hours

absl::StatusOr<TrainingHours> MariaDbTrainingStore::ParticipantHours(const std::string& participant_id,
                                                                     absl::CivilDay from, absl::CivilDay to) {
  TrainingHours hours;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     s.QueryOne(kParticipantHours, {participant_id, int64_t{v1::ENROLLMENT_STATUS_ENROLLED},
                                                    StartOfDay(from), StartOfDay(to + 1)}));
    if (row) {
      hours.session_hours = row->Int(0);
      hours.sessions_attended = static_cast<int32_t>(row->Int(1));
    }
    return absl::OkStatus();
  }));
  return hours;
}

absl::StatusOr<TrainingHours> MariaDbTrainingStore::OrganisationHours(const std::string& organisation_id,
                                                                      absl::CivilDay from,
                                                                      absl::CivilDay to) {
  TrainingHours hours;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::optional<db::Row> row,
        s.QueryOne(kOrganisationSessionHours, {organisation_id, int64_t{v1::ENROLLMENT_STATUS_ENROLLED},
                                               StartOfDay(from), StartOfDay(to + 1)}));
    if (row) {
      hours.session_hours = row->Int(0);
      hours.sessions_attended = static_cast<int32_t>(row->Int(1));
      hours.participants_trained = static_cast<int32_t>(row->Int(2));
    }
    ASSIGN_OR_RETURN(std::optional<db::Row> given,
                     s.QueryOne(kOrganisationTrainingHours, {organisation_id, DayText(from), DayText(to)}));
    if (given) hours.organisation_training_hours = given->Int(0);
    return absl::OkStatus();
  }));
  return hours;
}

}  // namespace shouhu::training
