// The registry fixture with casework's client and callers: a township supervisor of the test village's
// township and one of another township, a second county officer, and helpers that publish the test
// instrument and walk an item through supervision.
#ifndef SHOUHU_TESTS_INTEGRATION_REGISTRY_CASEWORK_FIXTURE_H_
#define SHOUHU_TESTS_INTEGRATION_REGISTRY_CASEWORK_FIXTURE_H_

#include <string>
#include <vector>

#include "shouhu/registry/v1/casework_service.grpc.pb.h"
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {

class CaseworkTest : public RegistryTest {
 protected:
  void SetUp() override;

  template <typename Request, typename Response>
  using CaseworkMethod = grpc::Status (v1::CaseworkService::Stub::*)(grpc::ClientContext*, const Request&,
                                                                     Response*);

  template <typename Request, typename Response>
  absl::StatusOr<Response> Ask(CaseworkMethod<Request, Response> method, const Principal& as,
                               const Request& request) {
    Response response;
    auto context = principals_.Context(as);
    grpc::Status status = (casework_.get()->*method)(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // The test instrument: two scored questions (0, 2 or 5 each) and one emergency question; bands LOW 0,
  // MEDIUM 3, HIGH 6, EXTREME 9.
  static v1::Instrument TestInstrument();
  v1::Instrument Publish();
  // Answers scoring q1 + q2, with the emergency question answered `emergency` (0 or 1).
  static std::vector<v1::Answer> Answers(int q1, int q2, int emergency = 0);
  absl::StatusOr<v1::Assessment> Assess(const Principal& as, const std::string& request_id,
                                        const std::string& case_id, const std::vector<v1::Answer>& answers);
  // The supervision steps, each with its own request id.
  absl::StatusOr<v1::Review> Submit(const Principal& as, const std::string& item_id);
  absl::StatusOr<v1::Review> Check(const Principal& as, const std::string& item_id);
  absl::StatusOr<v1::Review> Confirm(const Principal& as, const std::string& item_id);
  absl::StatusOr<v1::Review> Return(const Principal& as, const std::string& item_id,
                                    const std::string& reason);
  // Submitted by the caseworker, checked by the township, confirmed by the county.
  void Approve(const std::string& item_id);
  absl::StatusOr<v1::Case> CaseNow(const std::string& case_id);
  // The events of `type` ("shouhu.registry.v1.RiskLevelChanged") published so far.
  std::vector<common::v1::Event> EventsOf(const std::string& type);

  std::unique_ptr<v1::CaseworkService::Stub> casework_;
  std::string instrument_id_;
  int request_counter_ = 0;

  // 东岳社区 lies in township 532329101.
  const Principal township_supervisor_ = shouhu::testing::MakePrincipal(
      "supervisor-101", "wuding-101", common::v1::ROLE_TOWNSHIP_SUPERVISOR, {"532329101"});
  const Principal other_township_supervisor_ = shouhu::testing::MakePrincipal(
      "supervisor-102", "wuding-102", common::v1::ROLE_TOWNSHIP_SUPERVISOR, {"532329102"});
  const Principal second_wuding_officer_ = shouhu::testing::MakePrincipal(
      "officer-wuding-2", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
};

}  // namespace shouhu::registry::testing

#endif  // SHOUHU_TESTS_INTEGRATION_REGISTRY_CASEWORK_FIXTURE_H_
