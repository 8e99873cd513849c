// shouhu-admin's monthly allowance commands, as functions the binary and the tests call: the province's new
// monthly standard for every open enrolment of a program, from a month on (one ChangeMonthlyAmount each), and
// the arrears it leaves on months paid before it (one ClaimMonthlyArrears each).
#ifndef SHOUHU_DEPLOY_ADMIN_ALLOWANCE_COMMANDS_H_
#define SHOUHU_DEPLOY_ADMIN_ALLOWANCE_COMMANDS_H_

#include <grpcpp/client_context.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "shouhu/allowance/v1/allowance_service.grpc.pb.h"

namespace shouhu::admin {

struct MonthlyStandard {
  std::string program_id;
  absl::CivilMonth from;
  int64_t amount_fen = 0;
  std::string reason;  // the province's notice
  // A standard for one kind of allowance (orphans', de facto unsupported children's): only the enrolments
  // taken up as it change, the service judging each (ChangeMonthlyAmount's kind). UNSPECIFIED: every kind.
  allowance::v1::LivingAllowanceKind kind = allowance::v1::LIVING_ALLOWANCE_KIND_UNSPECIFIED;
};

struct MonthlyStandardResult {
  // With a kind, the counts below are of the enrolments of that kind, and of those whose kind was not known
  // when listed (not taken up yet) until the service says it is another.
  int other_kind = 0;      // taken up as another kind than the standard's: left as they were
  int enrolments = 0;      // the program's open monthly enrolments
  int changed = 0;         // at the amount from `from` on now (by this run, or by an earlier run it replayed)
  int approved_at_it = 0;  // approved at the amount and never changed: nothing to do
  // The program's closed (withdrawn or cancelled) monthly enrolments: the months they were paid from `from`
  // on are owed a raise too (`allowance arrears` claims them). Those raised, and those left as they were,
  // each with the service's why on its progress line (closed before `from`, or not a raise for it).
  int closed = 0;
  int closed_raised = 0;
  int closed_left = 0;
  // The enrolments the service refused to change (FAILED_PRECONDITION: a lower amount over a written line,
  // its first month, the amount above the program's cap per payment), with why.
  std::vector<std::pair<std::string, absl::Status>> refused;
  // How many months of the new amount the program's cap per child and year holds: under 12, a child paid
  // every month of a year goes over it, and the approval lists the year's last lines OVER_YEAR_CAP, unpaid.
  int64_t months_within_year_cap = 0;
};

// A context for one call: the caller's credentials and a deadline.
using NewCallContext = std::function<std::unique_ptr<grpc::ClientContext>()>;

// Lists the program's applications and changes each open monthly enrolment's amount (APPROVED,
// PAYMENT_ISSUED or PAID), and raises each closed one's over the months it was paid from `from` on (a closed
// enrolment the service will not raise is left, not refused), writing one progress line per enrolment to
// `progress`, after a warning when the program's cap per child and year holds fewer than twelve months of
// the amount. Each call's request id is made from the program, the month, the amount, the reason, the kind
// and the enrolment, so running the command again answers the calls already made from the service's records
// and makes only the rest. An error other than a refusal stops it (running it again resumes).
absl::StatusOr<MonthlyStandardResult> ApplyMonthlyStandard(
    allowance::v1::AllowanceService::StubInterface& stub, const NewCallContext& new_context,
    const MonthlyStandard& standard, std::ostream& progress);

struct ProgramArrears {
  std::string program_id;
  std::string reason;  // the province's notice
  // Made part of every claim's request id: one run's calls are its own, and a run after a rejected claim
  // makes new ones (the service claims a month once whatever the ids; ListMonthlyArrears says what is left).
  std::string run_id;
};

struct ProgramArrearsResult {
  int enrolments = 0;  // the program's monthly enrolments, in whatever state
  int claimed = 0;     // an arrears application submitted by this run
  int64_t claimed_fen = 0;
  int nothing_owed = 0;  // every month paid in full or claimed already
  int left_owed = 0;     // claims that left months past the cap per payment for another run
  // The claims the service refused (FAILED_PRECONDITION: the program evaluated, the child's cap for the
  // months' year), with why. A closed case's months are claimed as any.
  std::vector<std::pair<std::string, absl::Status>> refused;
};

// Lists the program's monthly enrolments and, for each with months paid short and unclaimed
// (ListMonthlyArrears), claims them (ClaimMonthlyArrears: a claim per year of months owed, each naming its
// year, so that a year refused does not hold back the next), writing one progress line per claim. An error
// other than a refusal stops it; running it again claims only what is still unclaimed.
absl::StatusOr<ProgramArrearsResult> ClaimProgramArrears(allowance::v1::AllowanceService::StubInterface& stub,
                                                         const NewCallContext& new_context,
                                                         const ProgramArrears& arrears,
                                                         std::ostream& progress);

}  // namespace shouhu::admin

#endif  // SHOUHU_DEPLOY_ADMIN_ALLOWANCE_COMMANDS_H_
