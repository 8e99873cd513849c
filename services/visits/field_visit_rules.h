// The pure rules of a visit in the field: when a slot ends and a missing check-out is due, what a check-in,
// check-out and visit report must hold (INVALID_ARGUMENT naming the field, never quoting a note), which
// danger signs and urgent needs an edit newly raises, who may act on an assignment, and the hash that
// recognises a re-sent report. No I/O.
#ifndef SHOUHU_SERVICES_VISITS_FIELD_VISIT_RULES_H_
#define SHOUHU_SERVICES_VISITS_FIELD_VISIT_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/principal.h"
#include "shouhu/visits/v1/visits_service.pb.h"

namespace shouhu::visits {

// A visitor's day as slots: slot 0 starts at `first_slot_start` after midnight (Asia/Shanghai), each lasts
// `slot_length` (a household visit with its travel). Slots are an order, not an appointment, so this is the
// latest a slot is expected to end; the missing-check-out alert waits `check_out_grace` beyond it.
struct VisitTimes {
  absl::Duration first_slot_start = absl::Hours(9);
  absl::Duration slot_length = absl::Minutes(90);
  absl::Duration check_out_grace = absl::Hours(3);
};

// When slot `slot` of `day` (Asia/Shanghai) ends, as an instant.
absl::Time SlotEnd(const VisitTimes& times, absl::CivilDay day, int slot);

// When a checked-in visit is expected to have ended, from which the missing-check-out alert counts its grace:
// its slot's end, but never before a slot's length after the check-in (a visitor who began late is not
// reported missing while still at the household) nor before the check-in reached the server (a phone's
// check-in synced days later is not alarmed at once; its check-out usually follows in the same sync).
absl::Time ExpectedVisitEnd(const VisitTimes& times, absl::CivilDay day, int slot, absl::Time checked_in_at,
                            absl::Time received_at);

// A batch is at most this many reports: 50 covers a team's weekend with room to spare, and keeps one
// request's work (a transaction per report) within a call's deadline.
inline constexpr int kMaxReportsPerBatch = 50;
// Clock skew allowed for a field device's "at".
inline constexpr absl::Duration kMaxClockSkew = absl::Minutes(5);

absl::Status ValidateCheckIn(const v1::CheckInRequest& request);
absl::Status ValidateCheckOut(const v1::CheckOutRequest& request);
// A payment verification: request_id, assignment_id, payment_id, a result, and a note (up to 2000
// characters) unless the household received the payment in full.
absl::Status ValidatePaymentVerification(const v1::RecordPaymentVerificationRequest& request);
// The instant a check-in or check-out happened: `at` when given (not after now + skew, not before the
// visit day began in Asia/Shanghai), else now. INVALID_ARGUMENT on "at".
absl::StatusOr<absl::Time> FieldInstant(const google::protobuf::Timestamp* at, absl::Time now,
                                        absl::CivilDay visit_day);

// A report tells what was found on a visit made: its day must have come (Asia/Shanghai) by `now`. A
// "completed" report sent ahead of the day would mark the child visited and move their schedule.
// FAILED_PRECONDITION naming `field` otherwise.
absl::Status RequireVisitDayCome(absl::CivilDay visit_day, absl::Time now, absl::string_view field);

// A report id: a UUID in lower-case canonical form; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateReportId(absl::string_view id, absl::string_view field);

// Statistics cover at most this many months in one request.
inline constexpr int kMaxStatisticsMonths = 36;
// "YYYY-MM" → a month, or INVALID_ARGUMENT naming `field`.
absl::StatusOr<absl::CivilMonth> ParseMonth(absl::string_view text, absl::string_view field);

// A report's content as submitted or edited: report_id a UUID (lower-case canonical form), assignment_id,
// outcome, observations (each aspect once, a rating), danger signs, needs, follow-ups and text lengths.
// Fields the service sets (version, case, child, visitor, date, updated_at) must be empty. Field names are
// prefixed with `prefix` ("reports[3]." in a batch, "report." in an edit).
absl::Status ValidateReport(const v1::VisitReport& report, absl::string_view prefix);

// A report's content alone (the fields the service sets cleared): equal content, equal hash.
std::string ReportContentHash(const v1::VisitReport& report);

// Danger signs in `now` that `before` (the stored version; nullptr on first submission) did not hold.
std::vector<v1::DangerSign> NewDangerSigns(const v1::VisitReport* before, const v1::VisitReport& now);
// Urgent needs in `now` whose kind was not urgent in `before`: each raises UrgentNeedFound once.
std::vector<v1::NeedFound> NewUrgentNeeds(const v1::VisitReport* before, const v1::VisitReport& now);

// Who an assignment is, for deciding who may act on it.
struct AssignmentParties {
  std::string village_code;     // the household's
  std::string organisation_id;  // the visitor's
  std::string participant_id;   // the visitor's person in the training service
  // The visitor is under a safeguarding concern that holds (open or upheld). Often about this very household:
  // acting as themself they no longer see or change its visits and reports.
  bool visitor_held = false;
};

// In scope (common/scope.h) and, for a caller whose only visiting role is VOLUNTEER, their own assignment
// (their subject is the visitor's participant id) while no safeguarding concern holds them: a volunteer with
// a concern about abuse noticed in a child's home could otherwise read the report (health, safety, danger
// signs) and edit the danger sign away. NOT_FOUND otherwise, naming `kind`.
absl::Status RequireMayActOn(const Principal& principal, const AssignmentParties& parties,
                             absl::string_view kind);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_FIELD_VISIT_RULES_H_
