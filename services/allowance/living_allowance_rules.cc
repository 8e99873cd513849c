#include "services/allowance/living_allowance_rules.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace shouhu::allowance {

const char* LivingAllowanceKindName(LivingAllowanceKind kind) {
  switch (kind) {
    case LivingAllowanceKind::kOrphan:
      return "orphan";
    case LivingAllowanceKind::kDeFactoUnsupported:
      return "de_facto_unsupported";
  }
  return "unknown";
}

std::optional<LivingAllowanceKind> LivingAllowanceKindFor(bool orphan, bool de_facto_unsupported) {
  if (orphan) return LivingAllowanceKind::kOrphan;
  if (de_facto_unsupported) return LivingAllowanceKind::kDeFactoUnsupported;
  return std::nullopt;
}

LivingAllowanceKind KindTakenUp(bool orphan, bool de_facto_unsupported) {
  return LivingAllowanceKindFor(orphan, de_facto_unsupported)
      .value_or(LivingAllowanceKind::kDeFactoUnsupported);
}

const char* MonthlyOutcomeName(MonthlyOutcome outcome) {
  switch (outcome) {
    case MonthlyOutcome::kPayable:
      return "payable";
    case MonthlyOutcome::kNotStarted:
      return "not_started";
    case MonthlyOutcome::kAgedOut:
      return "aged_out";
    case MonthlyOutcome::kStopped:
      return "stopped";
    case MonthlyOutcome::kNotInCategory:
      return "not_in_category";
    case MonthlyOutcome::kReplaced:
      return "replaced";
    case MonthlyOutcome::kPaidByApplication:
      return "paid_by_application";
    case MonthlyOutcome::kOverYearCap:
      return "over_year_cap";
  }
  return "unknown";
}

absl::CivilMonth EighteenthBirthdayMonth(absl::CivilDay birth_date) {
  // By month, so a birthday on 29 February needs no rule for the years without one.
  return absl::CivilMonth(birth_date.year() + 18, birth_date.month());
}

absl::CivilMonth FirstMonth(absl::CivilDay approved_on) { return absl::CivilMonth(approved_on) + 1; }

std::optional<absl::CivilMonth> StopMonth(const MonthlyEnrolment& enrolment) {
  // A stop before the approval is not the enrolment's (its reader gives none such; this keeps the rule
  // whole).
  if (!enrolment.stopped_on || *enrolment.stopped_on < enrolment.approved_on) return std::nullopt;
  return absl::CivilMonth(*enrolment.stopped_on) + 1;
}

namespace {

bool InCategory(const LivingAllowanceChild& child, LivingAllowanceKind kind) {
  switch (kind) {
    case LivingAllowanceKind::kOrphan:
      return child.orphan;
    case LivingAllowanceKind::kDeFactoUnsupported:
      return child.de_facto_unsupported;
  }
  return false;
}

// The proof that covers `month` longest, or nothing.
const SchoolEnrolment* SchoolProofFor(const LivingAllowanceChild& child, absl::CivilMonth month) {
  const SchoolEnrolment* best = nullptr;
  for (const SchoolEnrolment& school : child.schooling) {
    if (school.evidence_ref.empty() || school.covers_through < month) continue;
    if (best == nullptr || school.covers_through > best->covers_through) best = &school;
  }
  return best;
}

// The rules that concern one enrolment alone (all but exclusivity).
MonthlyDecision DecideAlone(const LivingAllowanceChild& child, const MonthlyEnrolment& enrolment,
                            absl::CivilMonth month) {
  MonthlyDecision decision;
  decision.enrolment_id = enrolment.enrolment_id;
  if (month <= absl::CivilMonth(enrolment.approved_on)) {
    decision.outcome = MonthlyOutcome::kNotStarted;
  } else if (std::optional<absl::CivilMonth> stop = StopMonth(enrolment); stop && month >= *stop) {
    decision.outcome = MonthlyOutcome::kStopped;
  } else if (!InCategory(child, enrolment.kind)) {
    decision.outcome = MonthlyOutcome::kNotInCategory;
  } else if (month > EighteenthBirthdayMonth(child.birth_date)) {
    const SchoolEnrolment* proof = SchoolProofFor(child, month);
    if (proof == nullptr) {
      decision.outcome = MonthlyOutcome::kAgedOut;
    } else {
      decision.school_evidence_ref = proof->evidence_ref;
    }
  }
  if (decision.outcome == MonthlyOutcome::kPayable) decision.amount_fen = enrolment.monthly_amount_fen;
  return decision;
}

// Orders payable enrolments by who keeps the month: the orphan allowance, then the earliest approval, then
// the smaller id (ids sort by creation), so the answer never depends on the order rows came in.
auto Precedence(const MonthlyEnrolment& e) {
  return std::make_tuple(e.kind == LivingAllowanceKind::kOrphan ? 0 : 1, e.approved_on, e.enrolment_id);
}

}  // namespace

std::vector<MonthlyDecision> DecideMonth(const LivingAllowanceChild& child,
                                         const std::vector<MonthlyEnrolment>& enrolments,
                                         absl::CivilMonth month) {
  std::vector<MonthlyDecision> decisions;
  decisions.reserve(enrolments.size());
  const MonthlyEnrolment* keeper = nullptr;
  for (const MonthlyEnrolment& enrolment : enrolments) {
    decisions.push_back(DecideAlone(child, enrolment, month));
    if (decisions.back().outcome != MonthlyOutcome::kPayable) continue;
    if (keeper == nullptr || Precedence(enrolment) < Precedence(*keeper)) keeper = &enrolment;
  }
  for (size_t i = 0; i < decisions.size(); ++i) {
    MonthlyDecision& decision = decisions[i];
    if (decision.outcome != MonthlyOutcome::kPayable) continue;
    if (decision.enrolment_id == keeper->enrolment_id) {
      // The keeper's first month holds the month (for exclusivity) but is paid by its application.
      if (month == FirstMonth(enrolments[i].approved_on)) {
        decision.outcome = MonthlyOutcome::kPaidByApplication;
        decision.amount_fen = 0;
      }
      continue;
    }
    decision.outcome = MonthlyOutcome::kReplaced;
    decision.amount_fen = 0;
    decision.replaced_by = keeper->enrolment_id;
    decision.school_evidence_ref.clear();
  }
  return decisions;
}

std::vector<MonthlyDecision> WithMonthPaidUnder(std::vector<MonthlyDecision> decisions,
                                                const std::string& paid_under) {
  if (paid_under.empty()) return decisions;
  for (MonthlyDecision& decision : decisions) {
    if (decision.outcome != MonthlyOutcome::kPayable || decision.enrolment_id == paid_under) continue;
    decision.outcome = MonthlyOutcome::kReplaced;
    decision.amount_fen = 0;
    decision.replaced_by = paid_under;
    decision.school_evidence_ref.clear();
  }
  return decisions;
}

absl::Status CheckFirstMonthDecision(const MonthlyDecision& decision, absl::CivilMonth first) {
  if (decision.outcome == MonthlyOutcome::kPaidByApplication) return absl::OkStatus();
  const std::string month = absl::FormatCivilTime(first);
  if (decision.outcome == MonthlyOutcome::kReplaced) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the child's basic living allowance for ", month, " is paid under enrolment ", decision.replaced_by,
        ", which replaces this one: a child is paid one basic living allowance a month"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the enrolment's first month, ", month,
                   ", is not owed under it: ", MonthlyOutcomeName(decision.outcome)));
}

absl::Status CheckFirstMonthByApplication(const LivingAllowanceChild& child,
                                          const std::vector<MonthlyEnrolment>& enrolments,
                                          const std::string& enrolment_id) {
  const auto paying = std::find_if(enrolments.begin(), enrolments.end(),
                                   [&](const MonthlyEnrolment& e) { return e.enrolment_id == enrolment_id; });
  if (paying == enrolments.end()) return absl::OkStatus();
  const absl::CivilMonth first = FirstMonth(paying->approved_on);
  return CheckFirstMonthDecision(DecideMonth(child, enrolments, first)[paying - enrolments.begin()], first);
}

namespace {
// The payload that marks MonthAlreadyPaid's refusal, holding the enrolment that keeps the month.
constexpr char kMonthPaidUnder[] = "type.shouhu.dev/allowance.MonthPaidUnder";
}  // namespace

absl::Status MonthAlreadyPaid(absl::CivilMonth month, const std::string& enrolment_id,
                              const std::string& payment_id) {
  absl::Status refused = absl::FailedPreconditionError(absl::StrCat(
      "the child's basic living allowance for ", absl::FormatCivilTime(month), " is paid under enrolment ",
      enrolment_id, " (payment ", payment_id,
      "; a returned payment keeps its month for its re-issue): a child is paid one basic living allowance a "
      "month"));
  refused.SetPayload(kMonthPaidUnder, absl::Cord(enrolment_id));
  return refused;
}

constexpr char kFirstMonthStopped[] = "type.shouhu.dev/allowance.FirstMonthStopped";

absl::Status FirstMonthEndedByStop(absl::CivilMonth first, absl::CivilDay stopped_on) {
  absl::Status refused = absl::FailedPreconditionError(absl::StrCat(
      "the child's basic living allowance stopped on ", absl::FormatCivilTime(stopped_on),
      " (a placement, a closed case or a move), before the enrolment's first month ",
      absl::FormatCivilTime(first), ": that month is not owed and what the approval reserved goes back"));
  refused.SetPayload(kFirstMonthStopped, absl::Cord(absl::FormatCivilTime(stopped_on)));
  return refused;
}

bool FirstMonthStopped(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition && status.GetPayload(kFirstMonthStopped);
}

std::optional<std::string> MonthPaidUnder(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kFailedPrecondition) return std::nullopt;
  auto enrolment = status.GetPayload(kMonthPaidUnder);
  if (!enrolment) return std::nullopt;
  return std::string(*enrolment);
}

std::optional<std::string> OwedFreedMonth(const std::vector<ReleasedFirstMonth>& released,
                                          absl::CivilMonth freed) {
  for (const ReleasedFirstMonth& r : released) {
    if (r.first == freed && !r.own_payment_issued && r.owed.ok()) return r.enrolment_id;
  }
  return std::nullopt;
}

absl::Status ValidateSchoolEnrolment(const SchoolEnrolment& enrolment, absl::CivilMonth from) {
  if (enrolment.school != SchoolKind::kSecondary && enrolment.school != SchoolKind::kVocational) {
    return absl::InvalidArgumentError("school: must be secondary or vocational");
  }
  if (enrolment.evidence_ref.empty()) return absl::InvalidArgumentError("evidence_ref: required");
  if (enrolment.evidence_ref.size() > 128)
    return absl::InvalidArgumentError("evidence_ref: at most 128 characters");
  if (enrolment.covers_through < from) {
    return absl::InvalidArgumentError("covers_through: must not end before the month it is recorded in");
  }
  return absl::OkStatus();
}

}  // namespace shouhu::allowance
