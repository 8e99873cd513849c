// The visits service served on loopback against its own migrated schema, following the real registry
// (RegistryTest's, in the same process) over real gRPC; the callers are the registry fixture's.
#ifndef SHOUHU_TESTS_INTEGRATION_VISITS_VISITS_FIXTURE_H_
#define SHOUHU_TESTS_INTEGRATION_VISITS_VISITS_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "services/visits/visits_module.h"
#include "shouhu/visits/v1/visits_service.grpc.pb.h"
#include "tests/integration/registry/registry_fixture.h"
#include "tests/support/fake_training_client.h"

namespace shouhu::visits::testing {

namespace v1 = ::shouhu::visits::v1;
namespace rv1 = ::shouhu::registry::v1;

class VisitsTest : public registry::testing::RegistryTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Runs before the visits module is first built: a fixture that stands up a real training service sets
  // training_address_ here.
  virtual void BeforeVisits() {}

  // Builds the module as main.cc does (its event consumer starts from the stored checkpoint) and serves it.
  // With training_address_ set, against that training service (a real client); else a fake client.
  void StartVisits();
  void StopVisits();

  // Blocks until the visits consumer has applied every event the registry has published (a minute at most).
  void AwaitRegistryEvents();

  absl::StatusOr<v1::VisitPlan> ChildPlan(const Principal& as, const std::string& child_id);

  // A valid registration of a new person (a fresh participant id) living in `village`, free on Saturdays.
  v1::RegisterVisitorRequest Registration(const std::string& request_id,
                                          const std::string& village = registry::testing::kWudingVillage) {
    v1::RegisterVisitorRequest request;
    request.set_request_id(request_id);
    v1::Visitor* v = request.mutable_visitor();
    v->set_participant_id(visits_ids_->Next());
    v->set_organisation_id("ngo-wuding");
    v->set_home_village_code(village);
    v->set_available_saturday(true);
    v->set_available_sunday(false);
    v->set_daily_capacity(4);
    return request;
  }

  absl::StatusOr<v1::Visitor> Register(const Principal& as, const v1::RegisterVisitorRequest& request) {
    v1::RegisterVisitorResponse response;
    auto context = principals_.Context(as);
    grpc::Status status = visits_stub_->RegisterVisitor(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response.visitor();
  }

  // Every case_plans row as text, in case order: what a replay must leave unchanged.
  std::vector<std::string> PlanRows();

  // The visits service's own clock, which tests move to make visits fall due; the registry keeps real time.
  ManualClock visits_clock_{absl::Now()};
  std::unique_ptr<shouhu::testing::TestDatabase> visits_database_;
  std::unique_ptr<IdGenerator> visits_ids_;
  // The jurisdictions the visits service's own work covers (training scopes SYSTEM callers by them).
  const ServiceIdentity visits_identity_{
      "visits", shouhu::testing::TestServiceKey("visits"), clock_, {"53", "64", "33"}};
  // Where a real training service listens; empty: the fake below.
  std::string training_address_;
  // The PII keys StartVisits gives the service (a key rotation test changes them between starts).
  std::string pii_seal_key_ = std::string(32, 's');
  std::string pii_lookup_key_ = std::string(32, 'l');
  std::unique_ptr<VisitsModule> visits_;
  std::unique_ptr<shouhu::testing::TestServer> visits_server_;
  std::unique_ptr<v1::VisitsService::Stub> visits_stub_;
  // The training service as the module sees it (owned by the module): nobody is qualified until set. Null
  // when training_address_ is set.
  shouhu::testing::FakeTrainingClient* training_ = nullptr;

  const Principal wuding_ngo_admin_ =
      shouhu::testing::MakePrincipal("admin-1", "ngo-wuding", common::v1::ROLE_NGO_ADMIN, {"532329"});
};

}  // namespace shouhu::visits::testing

#endif  // SHOUHU_TESTS_INTEGRATION_VISITS_VISITS_FIXTURE_H_
