#include "deploy/local/demo/visits_demo.h"

#include <chrono>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "shouhu/visits/v1/visits_service.grpc.pb.h"

namespace shouhu {
namespace {

namespace v1 = ::shouhu::visits::v1;
using Stub = v1::VisitsService::Stub;

// The registry demo's village in each county (registry_demo.cc), where its children live: the visitors live
// there too, so the planner finds them within reach.
const std::map<std::string, std::string>& Villages() {
  static const std::map<std::string, std::string> villages = {{"532329", "532329101001"},
                                                              {"640105", "640105001002"},
                                                              {"330723", "330723001001"},
                                                              {"331081", "331081001003"}};
  return villages;
}

// The first Saturday by which every case the registry demo accepted today is due (its verification visit
// falls within 14 days at most).
absl::CivilDay DemoWeekend() {
  absl::CivilDay day = ShanghaiDay(absl::Now()) + 15;
  while (absl::GetWeekday(day) != absl::Weekday::saturday) ++day;
  return day;
}

class Seeder {
 public:
  Seeder(const std::shared_ptr<grpc::Channel>& channel, const PrincipalSigner& signer,
         const std::string& county)
      : stub_(v1::VisitsService::NewStub(channel)), signer_(signer) {
    principal_.set_subject(absl::StrCat("demo-officer-", county));
    principal_.set_organisation_id("demo-civil-affairs");
    principal_.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
    principal_.add_jurisdictions(county);
  }

  template <typename Request, typename Response>
  absl::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    signer_.Attach(principal_, context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return FromGrpcStatus((stub_.get()->*method)(&context, request, response));
  }

 private:
  std::unique_ptr<Stub> stub_;
  const PrincipalSigner& signer_;
  Principal principal_;
};

}  // namespace

absl::StatusOr<VisitsDemoResult> SeedVisitsDemo(const std::shared_ptr<grpc::Channel>& channel,
                                                const PrincipalSigner& signer,
                                                const std::vector<DemoHomeVisitor>& visitors) {
  VisitsDemoResult result;
  const absl::CivilDay weekend = DemoWeekend();
  result.weekend_date = absl::FormatCivilTime(weekend);
  for (const auto& [county, village] : Villages()) {
    Seeder seed(channel, signer, county);
    std::vector<std::string> registered;
    for (const DemoHomeVisitor& person : visitors) {
      if (person.county_code != county) continue;
      v1::RegisterVisitorRequest request;
      request.set_request_id(absl::StrCat("demo-visitor-", person.participant_id));
      v1::Visitor* v = request.mutable_visitor();
      v->set_participant_id(person.participant_id);
      v->set_organisation_id(person.organisation_id);
      v->set_home_village_code(village);
      v->set_available_saturday(true);
      v->set_available_sunday(true);
      v->set_daily_capacity(4);
      v1::RegisterVisitorResponse response;
      RETURN_IF_ERROR(seed.Call(&Stub::RegisterVisitor, request, &response));
      registered.push_back(response.visitor().visitor_id());
    }
    if (registered.empty()) continue;

    // Planned already (an earlier start of the stack): leave it.
    int booked = 0;
    for (const std::string& id : registered) {
      v1::ListVisitorAssignmentsRequest request;
      request.set_visitor_id(id);
      request.set_weekend_date(result.weekend_date);
      v1::ListVisitorAssignmentsResponse response;
      RETURN_IF_ERROR(seed.Call(&Stub::ListVisitorAssignments, request, &response));
      booked += response.assignments_size();
      if (county == "532329" && response.assignments_size() > 0 && result.wuding_visitor_id.empty()) {
        result.wuding_visitor_id = id;
      }
    }
    if (booked > 0) {
      result.planned_assignments += booked;
      continue;
    }
    // The visits service follows the registry's case events on its own: until it has folded in the demo's
    // cases there is nothing due. An answer with nothing in it stores nothing, so asking again (a new request
    // id per attempt) is harmless.
    for (int attempt = 0; attempt < 40; ++attempt) {
      v1::PlanWeekendRequest request;
      request.set_request_id(absl::StrCat("demo-plan-", county, "-", result.weekend_date, "-", attempt));
      request.set_division_prefix(county);
      request.set_weekend_date(result.weekend_date);
      v1::PlanWeekendResponse response;
      RETURN_IF_ERROR(seed.Call(&Stub::PlanWeekend, request, &response));
      if (response.assignments_size() > 0 || response.unplaced_size() > 0) {
        result.planned_assignments += response.assignments_size();
        for (const v1::Assignment& a : response.assignments()) {
          if (county == "532329" && result.wuding_visitor_id.empty())
            result.wuding_visitor_id = a.visitor_id();
        }
        break;
      }
      absl::SleepFor(absl::Milliseconds(500));
    }
  }
  return result;
}

}  // namespace shouhu
