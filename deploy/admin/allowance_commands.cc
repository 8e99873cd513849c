#include "deploy/admin/allowance_commands.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace shouhu::admin {
namespace {

namespace av1 = allowance::v1;

// The page size of the program's applications.
constexpr int kPage = 200;

bool OpenEnrolment(const av1::Application& a) {
  return a.type() == av1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING &&
         (a.state() == av1::APPLICATION_STATE_APPROVED ||
          a.state() == av1::APPLICATION_STATE_PAYMENT_ISSUED || a.state() == av1::APPLICATION_STATE_PAID);
}

std::string RequestId(const MonthlyStandard& s, const std::string& enrolment) {
  const std::string key = absl::StrCat(s.program_id, "|", absl::FormatCivilTime(s.from), "|", s.amount_fen,
                                       "|", s.reason, "|", enrolment);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  return "monthly-standard-" +
         absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 16));
}

absl::StatusOr<std::vector<av1::Application>> OpenEnrolments(av1::AllowanceService::StubInterface& stub,
                                                             const NewCallContext& new_context,
                                                             const std::string& program_id) {
  std::vector<av1::Application> out;
  av1::ListApplicationsRequest request;
  request.set_program_id(program_id);
  request.set_page_size(kPage);
  do {
    av1::ListApplicationsResponse page;
    const grpc::Status status = stub.ListApplications(new_context().get(), request, &page);
    if (!status.ok()) return FromGrpcStatus(status);
    for (av1::Application& a : *page.mutable_applications()) {
      if (OpenEnrolment(a)) out.push_back(std::move(a));
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

}  // namespace

absl::StatusOr<MonthlyStandardResult> ApplyMonthlyStandard(av1::AllowanceService::StubInterface& stub,
                                                           const NewCallContext& new_context,
                                                           const MonthlyStandard& standard,
                                                           std::ostream& progress) {
  absl::StatusOr<std::vector<av1::Application>> enrolments =
      OpenEnrolments(stub, new_context, standard.program_id);
  if (!enrolments.ok()) return enrolments.status();
  MonthlyStandardResult result;
  result.enrolments = static_cast<int>(enrolments->size());
  int done = 0;
  for (const av1::Application& a : *enrolments) {
    ++done;
    const std::string head = absl::StrCat("[", done, "/", result.enrolments, "] ", a.application_id(), ": ");
    absl::StatusOr<bool> approved_at_it = ApprovedAtIt(stub, new_context, a, standard.amount_fen);
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
    av1::ChangeMonthlyAmountResponse answer;
    const absl::Status status =
        FromGrpcStatus(stub.ChangeMonthlyAmount(new_context().get(), request, &answer));
    if (status.ok()) {
      ++result.changed;
      progress << head << "changed (" << a.amount_fen() << " -> " << standard.amount_fen << " fen)\n";
    } else if (absl::IsFailedPrecondition(status)) {
      result.refused.emplace_back(a.application_id(), status);
      progress << head << "refused: " << status.message() << "\n";
    } else {
      return absl::Status(status.code(),
                          absl::StrCat("enrolment ", a.application_id(), ": ", status.message(),
                                       " (run the command again to resume)"));
    }
  }
  return result;
}

}  // namespace shouhu::admin
