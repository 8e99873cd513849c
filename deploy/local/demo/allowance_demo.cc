#include "deploy/local/demo/allowance_demo.h"

#include <chrono>
#include <string>

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

}  // namespace

absl::Status SeedAllowanceDemo(const std::shared_ptr<grpc::Channel>& channel, const PrincipalSigner& signer) {
  auto stub = v1::AllowanceService::NewStub(channel);
  const Principal ngo_admin = Person("demo-ngo-admin-532329", kOperator, common::v1::ROLE_NGO_ADMIN);
  const Principal officer = Person("demo-officer-532329", kFunder, common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  // One program per calendar year, running to the end of the next, so a rerun any day asks the same.
  const int64_t year = ShanghaiDay(absl::Now()).year();
  const std::string tag = absl::StrCat(kCounty, "-", year);

  v1::ProposeProgramRequest propose;
  propose.set_request_id("demo-program-" + tag);
  v1::Program* p = propose.mutable_program();
  p->set_name(absl::StrCat("武定县困境儿童关爱服务项目（", year, "）"));
  p->set_plan(
      "Weekend home visits, emergency relief, in-kind winter aid and school-transport allowances for "
      "left-behind and de facto unsupported children in Wuding county.");
  p->set_target_group("left-behind, de facto unsupported and orphaned children of Wuding county");
  p->set_jurisdiction(kCounty);
  p->set_funder_organisation_id(kFunder);
  p->set_budget_fen(20'000'000);  // 200,000 yuan
  p->set_period_start(absl::StrCat(year, "-01-01"));
  p->set_period_end(absl::StrCat(year + 1, "-12-31"));
  for (v1::AllowanceType t : {v1::ALLOWANCE_TYPE_ONE_TIME_TRANSPORTATION, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF,
                              v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID, v1::ALLOWANCE_TYPE_TUITION}) {
    p->add_allowed_types(t);
  }
  for (registry::v1::ChildCategory c :
       {registry::v1::CHILD_CATEGORY_LEFT_BEHIND, registry::v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED,
        registry::v1::CHILD_CATEGORY_ORPHAN}) {
    p->add_eligible_categories(c);
  }
  p->set_per_payment_cap_fen(200'000);            // 2,000 yuan
  p->set_per_child_year_cap_fen(500'000);         // 5,000 yuan
  p->set_second_approval_threshold_fen(100'000);  // above 1,000 yuan the bureau's finance officer signs too
  v1::ProposeProgramResponse proposed;
  RETURN_IF_ERROR(Call(*stub, signer, ngo_admin, &Stub::ProposeProgram, propose, &proposed));
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
  RETURN_IF_ERROR(Call(*stub, signer, officer, &Stub::AssessProgram, assess, &assessed));

  v1::FundProgramRequest fund;
  fund.set_request_id("demo-fund-" + tag);
  fund.set_program_id(id);
  v1::FundProgramResponse funded;
  return Call(*stub, signer, officer, &Stub::FundProgram, fund, &funded);
}

}  // namespace shouhu
