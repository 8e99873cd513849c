#include "deploy/local/demo/registry_demo.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"

namespace shouhu::demo {
namespace {

namespace v1 = registry::v1;

// The partner counties and a real village in each (codes from the national table).
struct County {
  const char* code;
  const char* name;
  const char* village;
  const char* bureau;
  const char* ngo;
};
constexpr County kCounties[] = {
    {"532329", "Wuding, Yunnan", "532329101001", "wuding-civil-affairs", "ngo-wuding-social-work"},
    {"640105", "Xixia, Ningxia", "640105001002", "xixia-civil-affairs", "ngo-xixia-social-work"},
    {"330723", "Wuyi, Zhejiang", "330723001001", "wuyi-civil-affairs", "ngo-wuyi-social-work"},
    {"331081", "Wenling, Zhejiang", "331081001003", "wenling-civil-affairs", "ngo-wenling-social-work"},
};

struct DemoChild {
  const char* name;
  v1::Sex sex;
  const char* birth_date;
  v1::ChildCategory category;
  v1::GuardianStatus father;
  v1::GuardianStatus mother;
  const char* reason;
  v1::RiskLevel risk;
};
constexpr DemoChild kChildren[] = {
    {"杨小雨", v1::SEX_FEMALE, "2014-04-12", v1::CHILD_CATEGORY_LEFT_BEHIND,
     v1::GUARDIAN_STATUS_MIGRANT_WORKER, v1::GUARDIAN_STATUS_MIGRANT_WORKER, "父母均在外务工，与年迈祖母同住",
     v1::RISK_LEVEL_MEDIUM},
    {"马文博", v1::SEX_MALE, "2012-09-30", v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED,
     v1::GUARDIAN_STATUS_IMPRISONED, v1::GUARDIAN_STATUS_MISSING, "父亲服刑，母亲失联，由伯父临时照看",
     v1::RISK_LEVEL_HIGH},
    {"李思琪", v1::SEX_FEMALE, "2016-01-08", v1::CHILD_CATEGORY_IN_DISTRESS,
     v1::GUARDIAN_STATUS_SERIOUSLY_ILL, v1::GUARDIAN_STATUS_PRESENT_AND_ABLE, "父亲重病住院，家庭收入中断",
     v1::RISK_LEVEL_EXTREME},
};

Principal Caller(const std::string& subject, const std::string& organisation, Role role,
                 const std::string& county) {
  Principal p;
  p.set_subject(subject);
  p.set_organisation_id(organisation);
  p.add_roles(role);
  p.add_jurisdictions(county);
  return p;
}

template <typename Request, typename Response, typename Call>
absl::StatusOr<Response> Invoke(const PrincipalSigner& signer, const Principal& as, Call call,
                                const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  signer.Attach(as, context);
  Response response;
  grpc::Status status = call(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace

absl::StatusOr<RegistryDemo> SeedRegistryDemo(const std::shared_ptr<grpc::Channel>& channel,
                                              const PrincipalSigner& signer) {
  auto stub = v1::RegistryService::NewStub(channel);
  RegistryDemo demo;
  for (const County& county : kCounties) {
    const Principal caseworker = Caller(absl::StrCat("demo-caseworker-", county.code), county.ngo,
                                        common::v1::ROLE_NGO_CASEWORKER, county.code);
    const Principal officer = Caller(absl::StrCat("demo-officer-", county.code), county.bureau,
                                     common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, county.code);
    int n = 0;
    for (const DemoChild& c : kChildren) {
      ++n;
      v1::SubmitReferralRequest submit;
      submit.set_request_id(absl::StrCat("demo-referral-", county.code, "-", n));
      submit.set_source(v1::REFERRAL_SOURCE_CHILD_WELFARE_DIRECTOR);
      submit.mutable_child()->set_name(c.name);
      submit.mutable_child()->set_sex(c.sex);
      submit.mutable_child()->set_birth_date(c.birth_date);
      submit.mutable_household()->set_village_code(county.village);
      submit.mutable_household()->set_address_detail(absl::StrCat(n, "组"));
      for (auto [relationship, status, name] :
           {std::tuple{v1::GUARDIAN_RELATIONSHIP_FATHER, c.father, "父亲"},
            std::tuple{v1::GUARDIAN_RELATIONSHIP_MOTHER, c.mother, "母亲"}}) {
        auto* g = submit.add_guardians();
        g->set_name(name);
        g->set_relationship(relationship);
        g->set_status(status);
      }
      submit.add_categories(c.category);
      submit.set_reason(c.reason);
      submit.set_observed_risk(c.risk);
      ASSIGN_OR_RETURN(
          auto submitted,
          (Invoke<v1::SubmitReferralRequest, v1::SubmitReferralResponse>(
              signer, caseworker,
              [&](auto* ctx, const auto& req, auto* resp) { return stub->SubmitReferral(ctx, req, resp); },
              submit)));
      if (n == 3) continue;  // the third stays pending, for triage in the demo
      v1::AcceptReferralRequest accept;
      accept.set_request_id(absl::StrCat("demo-accept-", county.code, "-", n));
      accept.set_referral_id(submitted.referral().referral_id());
      accept.set_organisation_id(county.ngo);
      accept.set_caseworker_id(caseworker.subject());
      accept.set_risk_level(c.risk);
      auto accepted = Invoke<v1::AcceptReferralRequest, v1::AcceptReferralResponse>(
          signer, officer,
          [&](auto* ctx, const auto& req, auto* resp) { return stub->AcceptReferral(ctx, req, resp); },
          accept);
      // A second run finds the referral decided under the same request id and gets the same case back.
      if (!accepted.ok()) return accepted.status();
      if (c.category == v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED && std::string(county.code) == "532329") {
        demo.wuding_unsupported_child_id = accepted->case_().child_id();
      }
      {
        v1::CompleteVerificationRequest verify;
        // The first case's id is the one earlier demos used: a second run answers it from its record.
        verify.set_request_id(absl::StrCat("demo-verify-", county.code, n == 1 ? "" : absl::StrCat("-", n)));
        verify.set_case_id(accepted->case_().case_id());
        verify.set_note("首次核实走访完成");
        auto verified = Invoke<v1::CompleteVerificationRequest, v1::CompleteVerificationResponse>(
            signer, caseworker,
            [&](auto* ctx, const auto& req, auto* resp) {
              return stub->CompleteVerification(ctx, req, resp);
            },
            verify);
        if (!verified.ok()) return verified.status();
      }
    }
    std::printf("  registry demo: %s (%s) — 3 referrals, 2 verified cases\n", county.name, county.code);
  }
  if (demo.wuding_unsupported_child_id.empty()) return absl::InternalError("no Wuding child to enrol");
  return demo;
}

}  // namespace shouhu::demo
