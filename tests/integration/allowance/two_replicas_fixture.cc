#include "tests/integration/allowance/two_replicas_fixture.h"

#include <utility>
#include <vector>

namespace shouhu::allowance::testing {

void TwoReplicasTest::SetUp() {
  AllowanceTest::SetUp();
  if (HasFatalFailure()) return;
  second_ids_ = std::make_unique<IdGenerator>(second_id_clock_);
  const ServiceContext context{
      service_config_, allowance_database_->pool(), allowance_clock_, *second_ids_, logger_, metrics_,
      *verifier_,      allowance_identity_,         workers_};
  AllowanceConfig config = allowance_config_;
  config.budget_slot = 1;
  ASSERT_OK_AND_ASSIGN(second_, AllowanceModule::Create(context, config));
  second_server_ = std::make_unique<shouhu::testing::TestServer>(
      std::vector<std::pair<grpc::Service*, std::string>>{{&second_->service(), kAllowanceServiceName}},
      std::vector<std::function<void()>>{[module = second_.get()] { module->Drain(); }});
  second_stub_ = v1::AllowanceService::NewStub(second_server_->channel());
}

void TwoReplicasTest::TearDown() {
  second_stub_.reset();
  second_server_.reset();
  second_.reset();
  AllowanceTest::TearDown();
}

absl::StatusOr<v1::Application> TwoReplicasTest::ApproveVia(int r, const Principal& as,
                                                            const std::string& request_id,
                                                            const std::string& application_id) {
  v1::ApproveApplicationRequest request;
  request.set_request_id(request_id);
  request.set_application_id(application_id);
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<v1::ApproveApplicationResponse> answer =
        Via(r, &v1::AllowanceService::Stub::ApproveApplication, as, request);
    if (answer.ok()) return answer->application();
    if (answer.status().code() != absl::StatusCode::kAborted || attempt == 5) return answer.status();
  }
}

TwoReplicasTest::Stored TwoReplicasTest::Money(const std::string& program_id) {
  Stored out;
  EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::optional<db::Row> b,
        s.QueryOne("SELECT budget_fen, unallocated_fen FROM program_balances WHERE program_id = ?",
                   {program_id}));
    if (!b) return absl::NotFoundError("no balance row");
    out.budget = b->Int(0);
    out.unallocated = b->Int(1);
    ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT slot, available_fen, reserved_fen, in_payment_fen,"
                                            " disbursed_fen FROM program_budget_slots WHERE program_id = ?",
                                            {program_id}));
    for (const db::Row& r : rows) {
      out.slots[static_cast<int>(r.Int(0))] = {static_cast<int>(r.Int(0)), r.Int(1), r.Int(2), r.Int(3),
                                               r.Int(4)};
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace shouhu::allowance::testing
