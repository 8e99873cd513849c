// A referral an NGO caseworker sends for a child in 东岳社区 (Wuding), as the end-to-end tests submit it.
#ifndef SHOUHU_TESTS_E2E_REFERRAL_REQUESTS_H_
#define SHOUHU_TESTS_E2E_REFERRAL_REQUESTS_H_

#include <string>

#include "shouhu/registry/v1/registry_service.pb.h"

namespace shouhu::testing {

inline constexpr char kWudingVillage[] = "532329101001";  // 东岳社区, Wuding

inline registry::v1::SubmitReferralRequest WudingReferral(const std::string& request_id,
                                                          const std::string& name) {
  namespace v1 = registry::v1;
  v1::SubmitReferralRequest r;
  r.set_request_id(request_id);
  r.set_source(v1::REFERRAL_SOURCE_NGO);
  r.mutable_child()->set_name(name);
  r.mutable_child()->set_sex(v1::SEX_FEMALE);
  r.mutable_child()->set_birth_date("2013-05-20");
  r.mutable_household()->set_village_code(kWudingVillage);
  auto* g = r.add_guardians();
  g->set_name("母亲");
  g->set_relationship(v1::GUARDIAN_RELATIONSHIP_MOTHER);
  g->set_status(v1::GUARDIAN_STATUS_SERIOUSLY_ILL);
  r.add_categories(v1::CHILD_CATEGORY_IN_DISTRESS);
  r.set_reason("母亲重病，家中无其他照料人");
  r.set_observed_risk(v1::RISK_LEVEL_HIGH);
  return r;
}

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_E2E_REFERRAL_REQUESTS_H_
