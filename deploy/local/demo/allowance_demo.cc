#include "deploy/local/demo/allowance_demo.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "shouhu/allowance/v1/allowance_service.grpc.pb.h"

namespace shouhu {
namespace {

namespace v1 = ::shouhu::allowance::v1;
using Stub = v1::AllowanceService::Stub;

constexpr char kCounty[] = "532329";                 // 武定县, Yunnan
constexpr char kOperator[] = "ngo-wuding-sunshine";  // qualified in the training demo
constexpr char kFunder[] = "wuding-civil-affairs";   // the county bureau of the demo's API clients

Principal Person(const std::string& subject, const std::string& organisation, common::v1::Role role) {
  Principal p;
  p.set_subject(subject);
  p.set_organisation_id(organisation);
  p.add_roles(role);
  p.add_jurisdictions(kCounty);
  return p;
}

template <typename Request, typename Response>
absl::Status Call(Stub& stub, const PrincipalSigner& signer, const Principal& as,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const Request& request, Response* response) {
  grpc::ClientContext context;
  signer.Attach(as, context);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return FromGrpcStatus((stub.*method)(&context, request, response));
}

// Proposed by the operator's admin, assessed and funded by the funder's officer; the program's id.
absl::StatusOr<std::string> FundedProgram(Stub& stub, const PrincipalSigner& signer,
                                          const Principal& ngo_admin, const Principal& officer,
                                          const std::string& tag, const v1::Program& program) {
  v1::ProposeProgramRequest propose;
  propose.set_request_id("demo-program-" + tag);
  *propose.mutable_program() = program;
  v1::ProposeProgramResponse proposed;
  RETURN_IF_ERROR(Call(stub, signer, ngo_admin, &Stub::ProposeProgram, propose, &proposed));
  const std::string id = proposed.program().program_id();

  v1::AssessProgramRequest assess;
  assess.set_request_id("demo-assess-" + tag);
  assess.set_program_id(id);
  for (const auto& [criterion, score] :
       std::vector<std::pair<std::string, int>>{{"plan", 88}, {"capacity", 82}, {"cost", 79}}) {
    v1::AssessmentScore* s = assess.add_scores();
    s->set_criterion(criterion);
    s->set_score(score);
  }
  assess.set_reviewer("武定县民政局项目评审组");
  assess.set_accept(true);
  v1::AssessProgramResponse assessed;
  RETURN_IF_ERROR(Call(stub, signer, officer, &Stub::AssessProgram, assess, &assessed));

  v1::FundProgramRequest fund;
  fund.set_request_id("demo-fund-" + tag);
  fund.set_program_id(id);
  v1::FundProgramResponse funded;
  RETURN_IF_ERROR(Call(stub, signer, officer, &Stub::FundProgram, fund, &funded));
  return id;
}

}  // namespace

absl::StatusOr<AllowanceDemo> SeedAllowanceDemo(const std::shared_ptr<grpc::Channel>& channel,
                                                const PrincipalSigner& signer,
                                                const std::string& monthly_child_id) {
  auto stub = v1::AllowanceService::NewStub(channel);
  const Principal ngo_admin = Person("demo-ngo-admin-532329", kOperator, common::v1::ROLE_NGO_ADMIN);
  const Principal caseworker =
      Person("demo-caseworker-532329-sunshine", kOperator, common::v1::ROLE_NGO_CASEWORKER);
  const Principal officer = Person("demo-officer-532329", kFunder, common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  // One program of each kind per calendar year, running to the end of the next, so a rerun any day asks the
  // same.
  const int64_t year = ShanghaiDay(absl::Now()).year();
  const std::string tag = absl::StrCat(kCounty, "-", year);
  AllowanceDemo demo;

  v1::Program care;
  care.set_name(absl::StrCat("武定县困境儿童关爱服务项目（", year, "）"));
  care.set_plan(
      "Weekend home visits, emergency relief, in-kind winter aid and school-transport allowances for "
      "left-behind and de facto unsupported children in Wuding county.");
  care.set_target_group("left-behind, de facto unsupported and orphaned children of Wuding county");
  care.set_jurisdiction(kCounty);
  care.set_funder_organisation_id(kFunder);
  care.set_budget_fen(20'000'000);  // 200,000 yuan
  care.set_period_start(absl::StrCat(year, "-01-01"));
  care.set_period_end(absl::StrCat(year + 1, "-12-31"));
  for (v1::AllowanceType t : {v1::ALLOWANCE_TYPE_ONE_TIME_TRANSPORTATION, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF,
                              v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID, v1::ALLOWANCE_TYPE_TUITION}) {
    care.add_allowed_types(t);
  }
  for (registry::v1::ChildCategory c :
       {registry::v1::CHILD_CATEGORY_LEFT_BEHIND, registry::v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED,
        registry::v1::CHILD_CATEGORY_ORPHAN}) {
    care.add_eligible_categories(c);
  }
  care.set_per_payment_cap_fen(200'000);            // 2,000 yuan
  care.set_per_child_year_cap_fen(500'000);         // 5,000 yuan
  care.set_second_approval_threshold_fen(100'000);  // above 1,000 yuan the bureau's finance officer signs too
  ASSIGN_OR_RETURN(demo.care_program_id, FundedProgram(*stub, signer, ngo_admin, officer, tag, care));

  // The monthly basic living allowance (基本生活费) of de facto unsupported children and orphans, paid
  // through the county's monthly rosters.
  v1::Program living;
  living.set_name(absl::StrCat("武定县事实无人抚养儿童和孤儿基本生活保障（", year, "）"));
  living.set_plan("Monthly basic living allowance, paid by the county's monthly roster after its approval.");
  living.set_target_group("de facto unsupported and orphaned children of Wuding county");
  living.set_jurisdiction(kCounty);
  living.set_funder_organisation_id(kFunder);
  living.set_budget_fen(100'000'000);  // 1,000,000 yuan
  living.set_period_start(absl::StrCat(year, "-01-01"));
  living.set_period_end(absl::StrCat(year + 1, "-12-31"));
  living.add_allowed_types(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
  living.add_eligible_categories(registry::v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED);
  living.add_eligible_categories(registry::v1::CHILD_CATEGORY_ORPHAN);
  living.set_per_payment_cap_fen(200'000);            // 2,000 yuan
  living.set_per_child_year_cap_fen(2'400'000);       // twelve months at the cap
  living.set_second_approval_threshold_fen(200'000);  // a month's allowance needs one approval
  ASSIGN_OR_RETURN(demo.living_program_id,
                   FundedProgram(*stub, signer, ngo_admin, officer, "living-" + tag, living));

  v1::SubmitApplicationRequest apply;
  apply.set_request_id("demo-enrol-" + tag);
  apply.set_program_id(demo.living_program_id);
  apply.set_child_id(monthly_child_id);
  apply.set_type(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
  apply.set_amount_fen(130'000);  // 1,300 yuan a month
  apply.set_reason("父亲服刑，母亲失联：事实无人抚养儿童，按月发放基本生活费");
  v1::SubmitApplicationResponse applied;
  RETURN_IF_ERROR(Call(*stub, signer, caseworker, &Stub::SubmitApplication, apply, &applied));
  demo.enrolment_id = applied.application().application_id();
  v1::ApproveApplicationRequest approve;
  approve.set_request_id("demo-approve-enrol-" + tag);
  approve.set_application_id(demo.enrolment_id);
  v1::ApproveApplicationResponse approved;
  RETURN_IF_ERROR(Call(*stub, signer, ngo_admin, &Stub::ApproveApplication, approve, &approved));
  return demo;
}

}  // namespace shouhu
