// The allowance service served on loopback against its own migrated schema, asking the real registry
// (RegistryTest's, in the same process) and the real training service (started here on its own schema) over
// real gRPC, as the process does; the callers are the registry fixture's plus the NGO's admin and the
// funder's finance officers.
#ifndef SHOUHU_TESTS_INTEGRATION_ALLOWANCE_ALLOWANCE_FIXTURE_H_
#define SHOUHU_TESTS_INTEGRATION_ALLOWANCE_ALLOWANCE_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "services/allowance/allowance_module.h"
#include "services/training/training_module.h"
#include "shouhu/allowance/v1/allowance_service.grpc.pb.h"
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::allowance::testing {

namespace v1 = ::shouhu::allowance::v1;
namespace rv1 = ::shouhu::registry::v1;

// What a test's program looks like; amounts in fen.
struct ProgramTerms {
  int64_t budget_fen = 10'000'000;  // 100,000 yuan
  int64_t per_payment_cap_fen = 500'000;
  int64_t per_child_year_cap_fen = 1'000'000;
  int64_t second_approval_threshold_fen = 200'000;
  std::vector<v1::AllowanceType> types = {
      v1::ALLOWANCE_TYPE_ONE_TIME_TRANSPORTATION, v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF,
      v1::ALLOWANCE_TYPE_IN_KIND_SURVIVAL_AID, v1::ALLOWANCE_TYPE_TUITION};
  std::vector<rv1::ChildCategory> categories = {rv1::CHILD_CATEGORY_LEFT_BEHIND};
};

class AllowanceTest : public registry::testing::RegistryTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Builds the module as main.cc does and serves it; StopAllowance drops both (the schema stays).
  void StartAllowance();
  void StopAllowance();

  template <typename Request, typename Response>
  using AllowanceMethod = grpc::Status (v1::AllowanceService::Stub::*)(grpc::ClientContext*, const Request&,
                                                                       Response*);

  template <typename Request, typename Response>
  absl::StatusOr<Response> Do(AllowanceMethod<Request, Response> method, const Principal& as,
                              const Request& request) {
    Response response;
    auto context = principals_.Context(as);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    grpc::Status status = (allowance_stub_.get()->*method)(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // Records the organisation's qualification in training, current when `current`, else lapsed last year.
  void QualifyOrganisation(const std::string& organisation_id, bool current);
  // A child with an active case in `village` (left-behind, the registry fixture's referral).
  std::string ActiveChild(const std::string& tag,
                          const std::string& village = registry::testing::kWudingVillage);

  v1::ProposeProgramRequest Proposal(const std::string& request_id, const ProgramTerms& terms = {});
  // Proposed by the NGO's admin, assessed and funded by the Wuding officer.
  std::string FundedProgram(const std::string& tag, const ProgramTerms& terms = {});

  v1::SubmitApplicationRequest Application(const std::string& request_id, const std::string& program_id,
                                           const std::string& child_id, int64_t amount_fen,
                                           v1::AllowanceType type = v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
  absl::StatusOr<v1::Application> Submit(const Principal& as, const v1::SubmitApplicationRequest& request);
  absl::StatusOr<v1::Application> Approve(const Principal& as, const std::string& request_id,
                                          const std::string& application_id);
  // A bank transfer to the guardian's account.
  static v1::PayApplicationRequest PayRequest(const std::string& request_id,
                                              const std::string& application_id);
  absl::StatusOr<v1::Payment> Pay(const Principal& as, const std::string& request_id,
                                  const std::string& application_id);
  // `attempt`: the attempt the outcome names (0: none).
  absl::StatusOr<v1::Payment> Outcome(const Principal& as, const std::string& request_id,
                                      const std::string& payment_id, v1::PaymentOutcome outcome,
                                      int32_t attempt = 0);
  absl::StatusOr<v1::Program> Program(const std::string& program_id);
  absl::StatusOr<v1::ReconcileProgramResponse> Reconcile(const std::string& program_id);
  // Submitted by the caseworker and approved (twice when above the threshold): the application's id.
  std::string ApprovedApplication(const std::string& tag, const std::string& program_id,
                                  const std::string& child_id, int64_t amount_fen);

  int64_t AllowanceCount(const std::string& table) { return allowance_database_->Count(table); }

  // The allowance service's own clock (tests move it to end a program's period); the others keep real time.
  ManualClock allowance_clock_{absl::Now()};
  std::unique_ptr<shouhu::testing::TestDatabase> allowance_database_;
  std::unique_ptr<IdGenerator> allowance_ids_;
  const ServiceIdentity allowance_identity_{
      "allowance", shouhu::testing::TestServiceKey("allowance"), clock_, {"53", "64"}};
  AllowanceConfig allowance_config_;
  std::unique_ptr<AllowanceModule> allowance_;
  std::unique_ptr<shouhu::testing::TestServer> allowance_server_;
  std::unique_ptr<v1::AllowanceService::Stub> allowance_stub_;

  // The real training service (organisations' qualifications).
  std::unique_ptr<shouhu::testing::TestDatabase> training_database_;
  std::unique_ptr<IdGenerator> training_ids_;
  const ServiceIdentity training_identity_{"training", shouhu::testing::TestServiceKey("training"), clock_};
  std::unique_ptr<training::TrainingModule> training_;
  std::unique_ptr<shouhu::testing::TestServer> training_server_;

  const Principal ngo_admin_ =
      shouhu::testing::MakePrincipal("ngo-admin-1", "ngo-wuding", common::v1::ROLE_NGO_ADMIN, {"532329"});
  const Principal other_ngo_admin_ =
      shouhu::testing::MakePrincipal("ngo-admin-2", "ngo-other", common::v1::ROLE_NGO_ADMIN, {"532329"});
  const Principal finance_ = shouhu::testing::MakePrincipal("finance-1", "wuding-civil-affairs",
                                                            common::v1::ROLE_FINANCE_OFFICER, {"532329"});
  const Principal finance2_ = shouhu::testing::MakePrincipal("finance-2", "wuding-civil-affairs",
                                                             common::v1::ROLE_FINANCE_OFFICER, {"532329"});
  const Principal bank_ =
      shouhu::testing::MakePrincipal("bank-integration", "system", common::v1::ROLE_SYSTEM, {"53"});
};

}  // namespace shouhu::allowance::testing

#endif  // SHOUHU_TESTS_INTEGRATION_ALLOWANCE_ALLOWANCE_FIXTURE_H_
