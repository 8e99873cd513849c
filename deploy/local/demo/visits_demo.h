// Seeds the visits service of the local stack: each demo county's home visitors (the volunteers the training
// demo qualified for home visits), then a planned weekend (PlanWeekend) so the stack starts with visits to
// look at. Idempotent: fixed request ids, and a county whose visitors already hold that weekend's visits is
// not planned again.
#ifndef SHOUHU_DEPLOY_LOCAL_DEMO_VISITS_DEMO_H_
#define SHOUHU_DEPLOY_LOCAL_DEMO_VISITS_DEMO_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/principal.h"

namespace shouhu {

// A person the training demo qualified for home visits.
struct DemoHomeVisitor {
  std::string participant_id;
  std::string organisation_id;
  std::string county_code;
};

// What the seed planned, for the printout: a visitor of Wuding with visits that weekend, when there is one.
struct VisitsDemoResult {
  std::string weekend_date;
  std::string wuding_visitor_id;
  int planned_assignments = 0;
};

absl::StatusOr<VisitsDemoResult> SeedVisitsDemo(const std::shared_ptr<grpc::Channel>& channel,
                                                const PrincipalSigner& signer,
                                                const std::vector<DemoHomeVisitor>& visitors);

}  // namespace shouhu

#endif  // SHOUHU_DEPLOY_LOCAL_DEMO_VISITS_DEMO_H_
