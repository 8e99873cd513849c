#include "deploy/admin/allowance_commands.h"

#include <openssl/sha.h>

#include <algorithm>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "services/allowance/allowance_rules.h"

namespace shouhu::admin {
namespace {

namespace av1 = allowance::v1;

// The page size of the program's applications.
constexpr int kPage = 200;

// The year of an owed month ("2027-01").
int YearOf(const av1::MonthOwed& m) {
  int year = 0;
  return absl::SimpleAtoi(m.month().substr(0, 4), &year) ? year : 0;
}

// Still paid: the service's own rule (allowance_rules.h).
bool OpenEnrolment(const av1::Application& a) { return allowance::MonthlyEnrolmentOpen(a.state()); }
// Paid nothing more, but owed a raise over the months it was paid (ChangeMonthlyAmount takes it).
bool ClosedEnrolment(const av1::Application& a) { return allowance::MonthlyEnrolmentClosed(a.state()); }

// A request id of `kind` made from `key`: the same arguments make the same id.
std::string RequestId(const std::string& kind, const std::string& key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  return kind + "-" + absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 16));
}

std::string RequestId(const MonthlyStandard& s, const std::string& enrolment) {
  // A standard for every kind keeps the ids it had before kinds were told apart: a run begun then resumes.
  const std::string kind =
      s.kind == av1::LIVING_ALLOWANCE_KIND_UNSPECIFIED ? "" : absl::StrCat("|kind ", s.kind);
  return RequestId("monthly-standard", absl::StrCat(s.program_id, "|", absl::FormatCivilTime(s.from), "|",
                                                    s.amount_fen, "|", s.reason, kind, "|", enrolment));
}

// Taken up as another kind than the standard's (one not taken up yet is not known to be).
bool OtherKind(const MonthlyStandard& s, av1::LivingAllowanceKind taken_up) {
  return s.kind != av1::LIVING_ALLOWANCE_KIND_UNSPECIFIED &&
         taken_up != av1::LIVING_ALLOWANCE_KIND_UNSPECIFIED && taken_up != s.kind;
}

// After the service refused a change for the standard's kind: the kind the enrolment was taken up as then
// (the service takes one up before judging it), when another.
absl::StatusOr<std::optional<av1::LivingAllowanceKind>> TakenUpAsOtherKind(
    av1::AllowanceService::StubInterface& stub, const NewCallContext& new_context, const MonthlyStandard& s,
    const std::string& enrolment) {
  if (s.kind == av1::LIVING_ALLOWANCE_KIND_UNSPECIFIED) return std::nullopt;
  av1::GetApplicationRequest request;
  request.set_application_id(enrolment);
  av1::GetApplicationResponse read;
  RETURN_IF_ERROR(FromGrpcStatus(stub.GetApplication(new_context().get(), request, &read)));
  if (!OtherKind(s, read.application().living_allowance_kind())) return std::nullopt;
  return read.application().living_allowance_kind();
}

// The program's monthly enrolments that `keep` keeps.
absl::StatusOr<std::vector<av1::Application>> MonthlyEnrolments(
    av1::AllowanceService::StubInterface& stub, const NewCallContext& new_context,
    const std::string& program_id, const std::function<bool(const av1::Application&)>& keep) {
  std::vector<av1::Application> out;
  av1::ListApplicationsRequest request;
  request.set_program_id(program_id);
  request.set_type(av1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
  request.set_page_size(kPage);
  do {
    av1::ListApplicationsResponse page;
    const grpc::Status status = stub.ListApplications(new_context().get(), request, &page);
    if (!status.ok()) return FromGrpcStatus(status);
    for (av1::Application& a : *page.mutable_applications()) {
      if (a.type() == av1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING && keep(a)) out.push_back(std::move(a));
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return out;
}

// Approved at the amount and never changed since: the months to come are paid at it already.
absl::StatusOr<bool> ApprovedAtIt(av1::AllowanceService::StubInterface& stub,
                                  const NewCallContext& new_context, const av1::Application& a,
                                  int64_t amount_fen) {
  if (a.amount_fen() != amount_fen) return false;
  av1::ListMonthlyAmountChangesRequest request;
  request.set_enrolment_id(a.application_id());
  av1::ListMonthlyAmountChangesResponse changes;
  const grpc::Status status = stub.ListMonthlyAmountChanges(new_context().get(), request, &changes);
  if (!status.ok()) return FromGrpcStatus(status);
  return changes.changes_size() == 0;
}

// A call's error for the enrolment: a refusal (FAILED_PRECONDITION) is listed with why and the run goes on;
// anything else stops it.
absl::Status Refused(const absl::Status& status, const std::string& enrolment, const std::string& head,
                     std::vector<std::pair<std::string, absl::Status>>& refused, std::ostream& progress) {
  if (!absl::IsFailedPrecondition(status)) {
    return absl::Status(status.code(), absl::StrCat("enrolment ", enrolment, ": ", status.message(),
                                                    " (run the command again to resume)"));
  }
  refused.emplace_back(enrolment, status);
  progress << head << "refused: " << status.message() << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MonthlyStandardResult> ApplyMonthlyStandard(av1::AllowanceService::StubInterface& stub,
                                                           const NewCallContext& new_context,
                                                           const MonthlyStandard& standard,
                                                           std::ostream& progress) {
  av1::GetProgramRequest get;
  get.set_program_id(standard.program_id);
  av1::GetProgramResponse read;
  RETURN_IF_ERROR(FromGrpcStatus(stub.GetProgram(new_context().get(), get, &read)));
  MonthlyStandardResult result;
  result.months_within_year_cap = read.program().per_child_year_cap_fen() / standard.amount_fen;
  if (result.months_within_year_cap < 12) {
    progress
        << "warning: the program's cap per child and year, " << read.program().per_child_year_cap_fen()
        << " fen, holds " << result.months_within_year_cap << " months at " << standard.amount_fen
        << " fen: a child's later months of a year will be listed OVER_YEAR_CAP and not paid. The funder's "
           "civil-affairs officer moves it with ChangeProgramCaps.\n";
  }
  absl::StatusOr<std::vector<av1::Application>> enrolments =
      MonthlyEnrolments(stub, new_context, standard.program_id, [&](const av1::Application& a) {
        if (!OpenEnrolment(a) && !ClosedEnrolment(a)) return false;
        if (!OtherKind(standard, a.living_allowance_kind())) return true;
        ++result.other_kind;
        return false;
      });
  if (!enrolments.ok()) return enrolments.status();
  result.closed = static_cast<int>(std::count_if(enrolments->begin(), enrolments->end(), ClosedEnrolment));
  result.enrolments = static_cast<int>(enrolments->size()) - result.closed;
  int done = 0;
  for (const av1::Application& a : *enrolments) {
    ++done;
    const bool closed = ClosedEnrolment(a);
    const std::string head = absl::StrCat("[", done, "/", enrolments->size(), "] ", a.application_id(), ": ",
                                          closed ? "closed; " : "");
    // A closed one is left to the service's rule: only a raise over the months it was paid.
    absl::StatusOr<bool> approved_at_it =
        closed ? false : ApprovedAtIt(stub, new_context, a, standard.amount_fen);
    if (!approved_at_it.ok()) return approved_at_it.status();
    if (*approved_at_it) {
      ++result.approved_at_it;
      progress << head << "approved at the amount\n";
      continue;
    }
    av1::ChangeMonthlyAmountRequest request;
    request.set_request_id(RequestId(standard, a.application_id()));
    request.set_enrolment_id(a.application_id());
    request.set_from_month(absl::FormatCivilTime(standard.from));
    request.set_amount_fen(standard.amount_fen);
    request.set_reason(standard.reason);
    request.set_kind(standard.kind);
    av1::ChangeMonthlyAmountResponse answer;
    const absl::Status status =
        FromGrpcStatus(stub.ChangeMonthlyAmount(new_context().get(), request, &answer));
    std::optional<av1::LivingAllowanceKind> other_kind;
    if (absl::IsFailedPrecondition(status)) {
      ASSIGN_OR_RETURN(other_kind, TakenUpAsOtherKind(stub, new_context, standard, a.application_id()));
    }
    if (other_kind) {
      ++result.other_kind;
      --(closed ? result.closed : result.enrolments);
      progress << head << "left as it was: taken up as another kind ("
               << av1::LivingAllowanceKind_Name(*other_kind) << ")\n";
    } else if (status.ok()) {
      ++(closed ? result.closed_raised : result.changed);
      progress << head << (closed ? "raised over the months it was paid (" : "changed (") << a.amount_fen()
               << " -> " << standard.amount_fen << " fen)\n";
    } else if (closed && absl::IsFailedPrecondition(status)) {
      ++result.closed_left;
      progress << head << "left as it was: " << status.message() << "\n";
    } else {
      RETURN_IF_ERROR(Refused(status, a.application_id(), head, result.refused, progress));
    }
  }
  return result;
}

absl::StatusOr<ProgramArrearsResult> ClaimProgramArrears(av1::AllowanceService::StubInterface& stub,
                                                         const NewCallContext& new_context,
                                                         const ProgramArrears& arrears,
                                                         std::ostream& progress) {
  absl::StatusOr<std::vector<av1::Application>> enrolments =
      MonthlyEnrolments(stub, new_context, arrears.program_id, [](const av1::Application&) { return true; });
  if (!enrolments.ok()) return enrolments.status();
  ProgramArrearsResult result;
  result.enrolments = static_cast<int>(enrolments->size());
  int done = 0;
  for (const av1::Application& a : *enrolments) {
    ++done;
    const std::string head = absl::StrCat("[", done, "/", result.enrolments, "] ", a.application_id(), ": ");
    av1::ListMonthlyArrearsRequest list;
    list.set_enrolment_id(a.application_id());
    av1::ListMonthlyArrearsResponse owed;
    RETURN_IF_ERROR(FromGrpcStatus(stub.ListMonthlyArrears(new_context().get(), list, &owed)));
    // A claim holds one year's months (it counts against that year's cap per child), so an enrolment owed
    // months of two years is claimed twice, each claim naming its year: one year refused (its cap per child,
    // say) does not hold back the next. Each claim's request id names the year too: a run resumed after a
    // lost answer replays the claim it made and goes on to the next year's.
    std::vector<int> years;
    for (const av1::MonthOwed& m : owed.months()) {
      if (!m.application_id().empty()) continue;
      const int year = YearOf(m);
      if (year == 0) {
        return absl::InternalError(absl::StrCat("enrolment ", a.application_id(), ": a month owed in \"",
                                                m.month(), "\", not YYYY-MM"));
      }
      if (std::find(years.begin(), years.end(), year) == years.end()) years.push_back(year);
    }
    if (years.empty()) {
      ++result.nothing_owed;
      progress << head << "nothing owed\n";
      continue;
    }
    for (const int year : years) {
      av1::ClaimMonthlyArrearsRequest request;
      request.set_request_id(RequestId(
          "monthly-arrears",
          absl::StrCat(arrears.run_id, "|", arrears.program_id, "|", a.application_id(), "|", year)));
      request.set_enrolment_id(a.application_id());
      request.set_reason(arrears.reason);
      request.set_year(year);
      av1::ClaimMonthlyArrearsResponse answer;
      const absl::Status status =
          FromGrpcStatus(stub.ClaimMonthlyArrears(new_context().get(), request, &answer));
      if (!status.ok()) {
        RETURN_IF_ERROR(
            Refused(absl::Status(status.code(), absl::StrCat("the months of ", year, ": ", status.message())),
                    a.application_id(), head, result.refused, progress));
        continue;
      }
      ++result.claimed;
      result.claimed_fen += answer.application().amount_fen();
      // This year's months past the cap per payment wait for another run.
      const bool capped = std::any_of(answer.left_owed().begin(), answer.left_owed().end(),
                                      [&](const av1::MonthOwed& m) { return YearOf(m) == year; });
      if (capped) ++result.left_owed;
      progress << head << "claimed " << answer.application().amount_fen() << " fen for "
               << answer.months_size() << " months of " << year << " (application "
               << answer.application().application_id() << ")"
               << (capped ? "; months past the cap per payment left owed" : "") << "\n";
    }
  }
  return result;
}

}  // namespace shouhu::admin
