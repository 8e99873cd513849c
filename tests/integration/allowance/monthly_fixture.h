// The allowance service with its monthly cycles served on loopback against its own migrated schema, asking
// and following the real registry (RegistryTest's, in the same process) over real gRPC; training is a fake
// that holds the test organisations qualified. Helpers make a funded program and children enrolled in the
// monthly basic living allowance through the service's own RPCs.
#ifndef SHOUHU_TESTS_INTEGRATION_ALLOWANCE_MONTHLY_FIXTURE_H_
#define SHOUHU_TESTS_INTEGRATION_ALLOWANCE_MONTHLY_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/status_macros.h"
#include "services/allowance/allowance_module.h"
#include "shouhu/allowance/v1/allowance_service.grpc.pb.h"
#include "tests/integration/registry/registry_fixture.h"
#include "tests/support/fake_training_client.h"

namespace shouhu::allowance::testing {

namespace v1 = ::shouhu::allowance::v1;
namespace rv1 = ::shouhu::registry::v1;

// The verification sample the fixture's service draws with.
inline constexpr uint64_t kTestSeed = 20261201;
inline constexpr int64_t kTestSharePpm = 300'000;

class MonthlyAllowanceTest : public registry::testing::RegistryTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  void StartAllowance();
  void StopAllowance();

  template <typename Request, typename Response>
  using AMethod = grpc::Status (v1::AllowanceService::Stub::*)(grpc::ClientContext*, const Request&,
                                                               Response*);
  template <typename Request, typename Response>
  absl::StatusOr<Response> Ask(AMethod<Request, Response> method, const Principal& as,
                               const Request& request) {
    Response response;
    auto context = principals_.Context(as);
    grpc::Status status = (allowance_stub_.get()->*method)(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // Who runs and funds a county's programs, and who applies for and approves its children's allowances.
  struct County {
    std::string jurisdiction;
    std::string funder_organisation_id;
    Principal officer;     // the funder's civil-affairs officer: assesses and funds
    Principal admin;       // the operator's admin: proposes, approves applications, pays
    Principal caseworker;  // the operator's caseworker: applies
  };
  County Wuding() const;
  // Xixia (Ningxia), where the Wuding NGO runs a program too, funded by the Xixia bureau.
  County Xixia() const;

  // A funded program of the Wuding NGO for the Wuding bureau: monthly living allowance and emergency relief
  // for de facto unsupported children and orphans (and the children of `also_eligible`), this year and the
  // next two.
  // The cap per child and year is `year_cap_fen`, or 5,000,000 (at most the budget) when 0.
  std::string FundedProgram(const std::string& tag, int64_t budget_fen = 100'000'000,
                            int64_t year_cap_fen = 0,
                            const std::vector<rv1::ChildCategory>& also_eligible = {});
  std::string FundedProgram(const std::string& tag, int64_t budget_fen, int64_t year_cap_fen,
                            const std::vector<rv1::ChildCategory>& also_eligible, const County& county);
  // A program in `county`, with the budget and caps above.
  std::string FundedProgramIn(const County& county, const std::string& tag);
  // A child registered in the registry in `category`, verified (active), born on `birth_date`.
  rv1::Case ActiveChild(const std::string& tag, const std::string& birth_date = "2014-03-02",
                        rv1::ChildCategory category = rv1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED);
  // The child's approved monthly application of `amount_fen` in `program_id`: an enrolment.
  std::string Enrol(const std::string& tag, const std::string& program_id, const std::string& child_id,
                    int64_t amount_fen = 60'000);
  // The same for a program of `county`, applied for and approved by its people.
  std::string EnrolIn(const County& county, const std::string& tag, const std::string& program_id,
                      const std::string& child_id, int64_t amount_fen = 60'000);
  // Blocks until the allowance's registry follower has applied every registry event (a minute at most).
  void AwaitRegistryEvents();
  // The same for another consumer of the registry's stream.
  void AwaitRegistryEvents(EventConsumer& consumer);

  // The maker (the NGO admin) submits the cycle; the checker (the Wuding bureau's officer) approves it.
  absl::StatusOr<v1::MonthlyCycle> SubmitAndApprove(const std::string& cycle_id, const std::string& tag) {
    v1::SubmitMonthlyCycleRequest submit;
    submit.set_request_id("submit-cycle-" + tag);
    submit.set_cycle_id(cycle_id);
    RETURN_IF_ERROR(Ask(&v1::AllowanceService::Stub::SubmitMonthlyCycle, ngo_admin_, submit).status());
    v1::ApproveMonthlyCycleRequest approve;
    approve.set_request_id("approve-cycle-" + tag);
    approve.set_cycle_id(cycle_id);
    ASSIGN_OR_RETURN(v1::ApproveMonthlyCycleResponse approved,
                     Ask(&v1::AllowanceService::Stub::ApproveMonthlyCycle, wuding_officer_, approve));
    return approved.cycle();
  }
  // The month's roster generated, submitted by the maker, approved by the checker, and paid.
  void PayMonth(const std::string& program, absl::CivilMonth month, const std::string& tag) {
    ASSERT_OK(allowance_->cycles().job().RunMonth(month));
    ASSERT_OK_AND_ASSIGN(v1::MonthlyCycle cycle, CycleOf(program, month));
    ASSERT_OK(SubmitAndApprove(cycle.cycle_id(), tag));
    v1::PayMonthlyCycleRequest pay;
    pay.set_request_id("pay-" + tag);
    pay.set_cycle_id(cycle.cycle_id());
    pay.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
    ASSERT_OK(Ask(&v1::AllowanceService::Stub::PayMonthlyCycle, ngo_admin_, pay));
  }
  // Withdrawn by its applicant, the caseworker who submitted it.
  absl::StatusOr<v1::WithdrawApplicationResponse> Withdraw(const std::string& tag,
                                                           const std::string& application_id) {
    v1::WithdrawApplicationRequest withdraw;
    withdraw.set_request_id("withdraw-" + tag);
    withdraw.set_application_id(application_id);
    return Ask(&v1::AllowanceService::Stub::WithdrawApplication, wuding_caseworker_, withdraw);
  }
  // The child's case closed in the registry, and the allowance has heard of it.
  void CloseCase(const std::string& tag, const std::string& case_id) {
    rv1::CloseCaseRequest close;
    close.set_request_id("close-" + tag);
    close.set_case_id(case_id);
    close.set_reason("父亲刑满释放，恢复监护");
    ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close));
    ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  }
  // A change of the enrolment's amount from `from` on, for the province's new standard (of one kind of
  // allowance only, when `kind` is given).
  static v1::ChangeMonthlyAmountRequest Change(
      const std::string& request_id, const std::string& enrolment, absl::CivilMonth from, int64_t amount_fen,
      v1::LivingAllowanceKind kind = v1::LIVING_ALLOWANCE_KIND_UNSPECIFIED) {
    v1::ChangeMonthlyAmountRequest request;
    request.set_request_id(request_id);
    request.set_enrolment_id(enrolment);
    request.set_from_month(MonthText(from));
    request.set_amount_fen(amount_fen);
    request.set_reason("省民政厅调整基本生活保障标准");
    request.set_kind(kind);
    return request;
  }
  // What the child holds of the program against its cap per child for `year` (child_year_totals).
  int64_t ChildYearTotal(const std::string& program, const std::string& child, int64_t year) {
    return QueryInt(
        "SELECT COALESCE(SUM(committed_fen), 0) FROM child_year_totals"
        " WHERE program_id = ? AND child_id = ? AND year = ?",
        {program, child, year});
  }
  // The program's cap per child and year set by the funder's officer (ChangeProgramCaps; 200,000 a payment)
  // so that the child's total of `short_year` has one fen less room than `owed_fen`, checking that
  // `roomy_year`'s total still has room for it.
  void LeaveYearRoomShortOf(const std::string& program, const std::string& child, int64_t short_year,
                            int64_t owed_fen, int64_t roomy_year) {
    const int64_t cap = ChildYearTotal(program, child, short_year) + owed_fen - 1;
    ASSERT_LE(ChildYearTotal(program, child, roomy_year) + owed_fen, cap);
    v1::ChangeProgramCapsRequest caps;
    caps.set_request_id("caps-" + std::to_string(cap));
    caps.set_program_id(program);
    caps.set_per_payment_cap_fen(200'000);
    caps.set_per_child_year_cap_fen(cap);
    caps.set_reason("项目每童每年上限调整");
    ASSERT_OK(Ask(&v1::AllowanceService::Stub::ChangeProgramCaps, wuding_officer_, caps));
  }
  // The application as the finance officer reads it.
  v1::Application ApplicationOf(const std::string& application_id) {
    v1::GetApplicationRequest get;
    get.set_application_id(application_id);
    absl::StatusOr<v1::GetApplicationResponse> answer =
        Ask(&v1::AllowanceService::Stub::GetApplication, finance_, get);
    EXPECT_OK(answer);
    return answer.ok() ? answer->application() : v1::Application();
  }
  absl::StatusOr<v1::MonthlyAmountChange> ChangeAs(const Principal& as,
                                                   const v1::ChangeMonthlyAmountRequest& request) {
    ASSIGN_OR_RETURN(v1::ChangeMonthlyAmountResponse answer,
                     Ask(&v1::AllowanceService::Stub::ChangeMonthlyAmount, as, request));
    return answer.change();
  }
  // The enrolment's line of `month`, or a line with no enrolment id when it has none.
  v1::RosterLine LineOf(const std::string& program, absl::CivilMonth month, const std::string& enrolment) {
    absl::StatusOr<v1::MonthlyCycle> cycle = CycleOf(program, month);
    if (!cycle.ok()) return {};
    for (const v1::RosterLine& l : Lines(cycle->cycle_id())) {
      if (l.enrolment_id() == enrolment) return l;
    }
    return {};
  }

  // The first column of the allowance schema's one-row answer; -1 when no row.
  int64_t QueryInt(const std::string& sql, const std::vector<db::Value>& params) {
    int64_t value = -1;
    EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(sql, params));
      if (row) value = row->Int(0);
      return absl::OkStatus();
    }));
    return value;
  }
  // As the Wuding NGO's admin, or as `as` (another county's people, for its programs).
  absl::StatusOr<v1::MonthlyCycle> CycleOf(const std::string& program_id, absl::CivilMonth month);
  absl::StatusOr<v1::MonthlyCycle> CycleOf(const std::string& program_id, absl::CivilMonth month,
                                           const Principal& as);
  std::vector<v1::RosterLine> Lines(const std::string& cycle_id);
  std::vector<v1::RosterLine> Lines(const std::string& cycle_id, const Principal& as);
  // Every roster line as text, in key order: what must not change once computed.
  std::vector<std::string> LineRows();
  int64_t AllowanceCount(const std::string& table) { return allowance_database_->Count(table); }
  // Events of the allowance outbox of this type (full name).
  int64_t AllowanceEvents(const std::string& type);
  // The program's ledger, balances and budget slots agree (ReconcileProgram).
  void ExpectReconciles(const std::string& program_id);

  static std::string MonthText(absl::CivilMonth m);
  absl::CivilMonth ThisMonth() const;
  // The first December a cycle pays (after an enrolment's first month, which its application pays): two to
  // thirteen months ahead, so that it and the January after it are within FundedProgram's period.
  absl::CivilMonth NextPaidDecember() const;

  std::unique_ptr<shouhu::testing::TestDatabase> allowance_database_;
  std::unique_ptr<IdGenerator> allowance_ids_;
  const ServiceIdentity allowance_identity_{
      "allowance", shouhu::testing::TestServiceKey("allowance"), clock_, {"53", "64", "33"}};
  std::unique_ptr<AllowanceModule> allowance_;
  std::unique_ptr<shouhu::testing::TestServer> allowance_server_;
  std::unique_ptr<v1::AllowanceService::Stub> allowance_stub_;

  const Principal ngo_admin_ =
      shouhu::testing::MakePrincipal("admin-1", "ngo-wuding", common::v1::ROLE_NGO_ADMIN, {"532329"});
  const Principal finance_ = shouhu::testing::MakePrincipal("finance-1", "wuding-civil-affairs",
                                                            common::v1::ROLE_FINANCE_OFFICER, {"532329"});
};

}  // namespace shouhu::allowance::testing

#endif  // SHOUHU_TESTS_INTEGRATION_ALLOWANCE_MONTHLY_FIXTURE_H_
