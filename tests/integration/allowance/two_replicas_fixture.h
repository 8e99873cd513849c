// Two replicas of the allowance service on one schema, as two pods would be: replica 0 (AllowanceTest's) and
// replica 1, started here with budget slot 1 and ids of its own, from a clock a test can move ahead of
// replica 0's (the time inside an id; everything else runs on the allowance's clock).
#ifndef SHOUHU_TESTS_INTEGRATION_ALLOWANCE_TWO_REPLICAS_FIXTURE_H_
#define SHOUHU_TESTS_INTEGRATION_ALLOWANCE_TWO_REPLICAS_FIXTURE_H_

#include <map>
#include <memory>
#include <string>

#include "services/allowance/budget_slots.h"
#include "tests/integration/allowance/allowance_fixture.h"

namespace shouhu::allowance::testing {

class TwoReplicasTest : public AllowanceTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A call through replica `r` (0: the fixture's, 1: the second).
  template <typename Request, typename Response>
  absl::StatusOr<Response> Via(int r, AllowanceMethod<Request, Response> method, const Principal& as,
                               const Request& request) {
    v1::AllowanceService::Stub& stub = r == 0 ? *allowance_stub_ : *second_stub_;
    Response response;
    auto context = principals_.Context(as);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    grpc::Status status = (stub.*method)(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // ApproveApplication through replica `r`. ABORTED (a deadlock that outlived the pool's retries) is what a
  // client retries with the same request id; the answer is then the first committed one.
  absl::StatusOr<v1::Application> ApproveVia(int r, const Principal& as, const std::string& request_id,
                                             const std::string& application_id);

  // The program's remainder and slots as stored (slot → its row).
  struct Stored {
    int64_t budget = 0;
    int64_t unallocated = 0;
    std::map<int, SlotBalances> slots;
  };
  Stored Money(const std::string& program_id);

  // The time in replica 1's ids.
  ManualClock second_id_clock_{absl::Now()};
  std::unique_ptr<IdGenerator> second_ids_;
  std::unique_ptr<AllowanceModule> second_;
  std::unique_ptr<shouhu::testing::TestServer> second_server_;
  std::unique_ptr<v1::AllowanceService::Stub> second_stub_;
};

}  // namespace shouhu::allowance::testing

#endif  // SHOUHU_TESTS_INTEGRATION_ALLOWANCE_TWO_REPLICAS_FIXTURE_H_
