#include "services/visits/field_visit_rules.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/idempotency.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "common/validation.h"
#include "shouhu/visits/v1/events.pb.h"

namespace shouhu::visits {
namespace {

constexpr size_t kMaxNoteChars = 500;
// A payment verification's note: what the household said, in their words (allowance keeps 2000 too).
constexpr size_t kMaxVerificationNoteChars = 2000;
constexpr size_t kMaxSummaryChars = 2000;
constexpr int kMaxPeopleSeen = 20;
constexpr int kMaxListEntries = 20;
// A relief estimate beyond 100,000 yuan is a typing error (programs total 100,000–300,000 yuan).
constexpr int64_t kMaxEstimateFen = int64_t{100'000} * 100;

std::string Field(absl::string_view prefix, absl::string_view name) { return absl::StrCat(prefix, name); }

std::string Indexed(absl::string_view prefix, absl::string_view name, int i) {
  return absl::StrCat(prefix, name, "[", i, "]");
}

absl::Status ValidateLocation(const v1::GeoPoint& p, absl::string_view field) {
  if (!(p.latitude() >= -90 && p.latitude() <= 90) || !(p.longitude() >= -180 && p.longitude() <= 180)) {
    return InvalidField(field, "must be WGS-84 degrees (latitude -90..90, longitude -180..180)");
  }
  return absl::OkStatus();
}

absl::Status ValidateOptionalText(absl::string_view text, absl::string_view field, size_t max_chars) {
  if (text.empty()) return absl::OkStatus();
  return ValidateText(text, field, 1, max_chars);
}

bool IsUuid(absl::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Time SlotEnd(const VisitTimes& times, absl::CivilDay day, int slot) {
  const absl::Time midnight = absl::FromCivil(absl::CivilSecond(day), ShanghaiTimeZone());
  return midnight + times.first_slot_start + times.slot_length * (slot + 1);
}

absl::Time ExpectedVisitEnd(const VisitTimes& times, absl::CivilDay day, int slot, absl::Time checked_in_at,
                            absl::Time received_at) {
  return std::max({SlotEnd(times, day, slot), checked_in_at + times.slot_length, received_at});
}

absl::Status ValidateCheckIn(const v1::CheckInRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.assignment_id(), "assignment_id"));
  if (request.has_location()) RETURN_IF_ERROR(ValidateLocation(request.location(), "location"));
  return absl::OkStatus();
}

absl::Status ValidatePaymentVerification(const v1::RecordPaymentVerificationRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.assignment_id(), "assignment_id"));
  RETURN_IF_ERROR(ValidateRecordId(request.payment_id(), "payment_id"));
  RETURN_IF_ERROR(ValidateRequiredEnum(request.result(), v1::PaymentVerificationResult_IsValid, "result"));
  if (request.result() == v1::PAYMENT_VERIFICATION_RESULT_RECEIVED_IN_FULL && request.note().empty()) {
    return absl::OkStatus();
  }
  // What went wrong, or what could not be checked, is what the allowance's people act on.
  return ValidateMeaningfulText(request.note(), "note", kMaxVerificationNoteChars);
}

absl::Status ValidateCheckOut(const v1::CheckOutRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId(request.assignment_id(), "assignment_id"));
  if (request.has_location()) RETURN_IF_ERROR(ValidateLocation(request.location(), "location"));
  if (!request.has_contact()) return InvalidField("contact", "is required");
  const v1::Contact& c = request.contact();
  RETURN_IF_ERROR(ValidateRequiredEnum(c.result(), v1::ContactResult_IsValid, "contact.result"));
  if (c.guardians_seen() < 0 || c.guardians_seen() > kMaxPeopleSeen) {
    return InvalidField("contact.guardians_seen", "must be 0..20");
  }
  if (c.others_seen() < 0 || c.others_seen() > kMaxPeopleSeen) {
    return InvalidField("contact.others_seen", "must be 0..20");
  }
  if (c.result() != v1::CONTACT_RESULT_MADE &&
      (c.child_seen() || c.guardians_seen() > 0 || c.others_seen() > 0)) {
    return InvalidField("contact.result", "an attempted contact saw nobody; say MADE when people were seen");
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> FieldInstant(const google::protobuf::Timestamp* at, absl::Time now,
                                        absl::CivilDay visit_day) {
  if (at == nullptr) return TruncateToMicros(now);
  const absl::Time t = FromProtoTimestamp(*at);
  if (t > now + kMaxClockSkew) return InvalidField("at", "is in the future");
  if (t < absl::FromCivil(absl::CivilSecond(visit_day), ShanghaiTimeZone())) {
    return InvalidField("at", "is before the visit day");
  }
  return TruncateToMicros(t);
}

absl::Status RequireVisitDayCome(absl::CivilDay visit_day, absl::Time now, absl::string_view field) {
  if (visit_day <= ShanghaiDay(now)) return absl::OkStatus();
  absl::Status status = absl::FailedPreconditionError(
      absl::StrCat(field, ": the visit is on ", absl::FormatCivilTime(visit_day),
                   ", after today; a report is sent once the visit is made"));
  status.SetPayload(kFieldPayload, absl::Cord(field));
  return status;
}

absl::Status ValidateReportId(absl::string_view id, absl::string_view field) {
  if (!IsUuid(id)) return InvalidField(field, "must be a UUID in lower-case canonical form");
  return absl::OkStatus();
}

absl::StatusOr<absl::CivilMonth> ParseMonth(absl::string_view text, absl::string_view field) {
  absl::CivilMonth month;
  if (text.size() != 7 || !absl::ParseCivilTime(text, &month) || month.year() < 2000 || month.year() > 2100) {
    return InvalidField(field, "must be a month as YYYY-MM");
  }
  return month;
}

absl::Status ValidateReport(const v1::VisitReport& r, absl::string_view prefix) {
  RETURN_IF_ERROR(ValidateReportId(r.report_id(), Field(prefix, "report_id")));
  RETURN_IF_ERROR(ValidateRecordId(r.assignment_id(), Field(prefix, "assignment_id")));
  RETURN_IF_ERROR(ValidateRequiredEnum(r.outcome(), v1::VisitOutcome_IsValid, Field(prefix, "outcome")));
  if (r.version() != 0 || !r.case_id().empty() || !r.child_id().empty() || !r.visitor_id().empty() ||
      !r.visit_date().empty() || r.has_updated_at()) {
    return InvalidField(
        Field(prefix, "version"),
        "version, case_id, child_id, visitor_id, visit_date and updated_at are set by the service");
  }
  absl::flat_hash_set<int> aspects;
  for (int i = 0; i < r.observations_size(); ++i) {
    const v1::Observation& o = r.observations(i);
    const std::string field = Indexed(prefix, "observations", i);
    RETURN_IF_ERROR(ValidateRequiredEnum(o.aspect(), v1::ObservationAspect_IsValid, field + ".aspect"));
    RETURN_IF_ERROR(ValidateRequiredEnum(o.rating(), v1::ObservationRating_IsValid, field + ".rating"));
    if (!aspects.insert(o.aspect()).second) return InvalidField(field + ".aspect", "is observed twice");
    RETURN_IF_ERROR(ValidateOptionalText(o.note(), field + ".note", kMaxNoteChars));
  }
  if (r.danger_signs_size() > kMaxListEntries) {
    return InvalidField(Field(prefix, "danger_signs"), "has more than 20 entries");
  }
  for (int i = 0; i < r.danger_signs_size(); ++i) {
    RETURN_IF_ERROR(
        ValidateRequiredEnum(r.danger_signs(i), v1::DangerSign_IsValid, Indexed(prefix, "danger_signs", i)));
  }
  if (r.needs_size() > kMaxListEntries)
    return InvalidField(Field(prefix, "needs"), "has more than 20 entries");
  for (int i = 0; i < r.needs_size(); ++i) {
    const v1::NeedFound& n = r.needs(i);
    const std::string field = Indexed(prefix, "needs", i);
    RETURN_IF_ERROR(ValidateRequiredEnum(n.kind(), v1::UrgentNeedKind_IsValid, field + ".kind"));
    if (n.estimated_amount_fen() < 0 || n.estimated_amount_fen() > kMaxEstimateFen) {
      return InvalidField(field + ".estimated_amount_fen", "must be 0..10,000,000 fen");
    }
    RETURN_IF_ERROR(ValidateOptionalText(n.note(), field + ".note", kMaxNoteChars));
  }
  if (r.follow_ups_size() > kMaxListEntries) {
    return InvalidField(Field(prefix, "follow_ups"), "has more than 20 entries");
  }
  for (int i = 0; i < r.follow_ups_size(); ++i) {
    const v1::FollowUpTask& t = r.follow_ups(i);
    const std::string field = Indexed(prefix, "follow_ups", i);
    RETURN_IF_ERROR(ValidateMeaningfulText(t.description(), field + ".description", kMaxNoteChars));
    RETURN_IF_ERROR(ValidateIdentifier(t.owner(), field + ".owner", 64));
    RETURN_IF_ERROR(ParseDay(t.due_date(), field + ".due_date").status());
  }
  return ValidateOptionalText(r.summary(), Field(prefix, "summary"), kMaxSummaryChars);
}

std::string ReportContentHash(const v1::VisitReport& report) {
  v1::VisitReport content = report;
  content.clear_version();
  content.clear_case_id();
  content.clear_child_id();
  content.clear_visitor_id();
  content.clear_visit_date();
  content.clear_updated_at();
  return RequestHash(content);
}

std::vector<v1::DangerSign> NewDangerSigns(const v1::VisitReport* before, const v1::VisitReport& now) {
  absl::flat_hash_set<int> known;
  if (before != nullptr) known.insert(before->danger_signs().begin(), before->danger_signs().end());
  std::vector<v1::DangerSign> raised;
  for (int sign : now.danger_signs()) {
    if (known.insert(sign).second) raised.push_back(static_cast<v1::DangerSign>(sign));
  }
  return raised;
}

std::vector<v1::NeedFound> NewUrgentNeeds(const v1::VisitReport* before, const v1::VisitReport& now) {
  absl::flat_hash_set<int> known;
  if (before != nullptr) {
    for (const v1::NeedFound& n : before->needs()) {
      if (n.urgent()) known.insert(n.kind());
    }
  }
  std::vector<v1::NeedFound> raised;
  for (const v1::NeedFound& n : now.needs()) {
    if (n.urgent() && known.insert(n.kind()).second) raised.push_back(n);
  }
  return raised;
}

absl::Status RequireMayActOn(const Principal& principal, const AssignmentParties& parties,
                             absl::string_view kind) {
  RETURN_IF_ERROR(RequireInScope(principal, {parties.village_code, parties.organisation_id}, kind));
  const bool staff =
      HasAnyRole(principal, {common::v1::ROLE_NGO_ADMIN, common::v1::ROLE_NGO_CASEWORKER,
                             common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, common::v1::ROLE_CHILD_WELFARE_DIRECTOR,
                             common::v1::ROLE_AUDITOR, common::v1::ROLE_SYSTEM});
  if (!staff && (principal.subject() != parties.participant_id || parties.visitor_held)) {
    return absl::NotFoundError(absl::StrCat(kind, " not found"));
  }
  return absl::OkStatus();
}

}  // namespace shouhu::visits
