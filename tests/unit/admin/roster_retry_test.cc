// shouhu-admin's roster calls when the network or a service fails them on the way: a transient failure
// (UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED) sends the same call again, with the same import id and chunk
// numbers, so the registry answers what it already committed from its records; any other failure stops the
// command at once. Against a RosterService of the tests' own that fails the calls it is told to, on loopback.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "deploy/admin/roster_commands.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_server.h"
#include "tests/unit/admin/roster_service_fake.h"

namespace shouhu::admin {
namespace {

namespace v1 = registry::v1;
using ::shouhu::testing::StatusIs;

class RosterRetryTest : public ::testing::Test {
 protected:
  void Serve(std::vector<grpc::Status> failures) {
    service_ = std::make_unique<FailingRosterService>(std::move(failures));
    server_ = std::make_unique<testing::TestServer>(std::vector<std::pair<grpc::Service*, std::string>>{
        {service_.get(), "shouhu.registry.v1.RosterService"}});
  }

  // Chunks of two rows, two chunks a call: five children go as chunks 1-2, then 3.
  static RosterCallOptions Options() {
    RosterCallOptions options;
    options.token = "token";
    options.chunk_rows = 2;
    options.chunks_per_call = 2;
    options.first_retry_wait = absl::Milliseconds(1);
    return options;
  }

  std::unique_ptr<FailingRosterService> service_;
  std::unique_ptr<testing::TestServer> server_;
  std::ostringstream progress_;
};

TEST_F(RosterRetryTest, Import_CallFailedUnavailable_SentAgainWithTheSameChunks_AndCountedOnce) {
  Serve({grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is draining")});
  const LoadedRoster roster = RosterOf(5);
  ASSERT_EQ(roster.parsed.rows.size(), 5u);

  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse answer,
                       ImportRoster(server_->channel(), roster, Options(), progress_));

  const std::vector<SentCall> calls = service_->Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].chunk_numbers, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(calls[1].chunk_numbers, (std::vector<int64_t>{1, 2}));  // the failed call, again
  EXPECT_EQ(calls[2].chunk_numbers, (std::vector<int64_t>{3}));
  for (const SentCall& call : calls) EXPECT_EQ(call.import_id, roster.file_hash);
  EXPECT_EQ(answer.rows(), 5);  // the failed call's answer is not added
  EXPECT_EQ(answer.created(), 5);
  EXPECT_NE(progress_.str().find("chunks 1-2 of 3: UNAVAILABLE: the gateway is draining; sending again"),
            std::string::npos)
      << progress_.str();
}

TEST_F(RosterRetryTest, Import_EachTransientCode_IsSentAgain) {
  Serve({grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "busy"),
         grpc::Status(grpc::StatusCode::ABORTED, "deadlock"),
         grpc::Status(grpc::StatusCode::UNAVAILABLE, "no database connection became free in time")});
  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse answer,
                       ImportRoster(server_->channel(), RosterOf(5), Options(), progress_));
  EXPECT_EQ(service_->Calls().size(), 5u);
  EXPECT_EQ(answer.created(), 5);
}

TEST_F(RosterRetryTest, Import_RefusedCall_StopsAtOnce) {
  Serve({grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "not this county's officer")});
  EXPECT_THAT(ImportRoster(server_->channel(), RosterOf(5), Options(), progress_),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(service_->Calls().size(), 1u);
}

TEST_F(RosterRetryTest, Import_StaleEdit_IsNotSentAgain) {
  Serve({ToGrpcStatus(StaleVersion("the record changed meanwhile", 3))});
  EXPECT_THAT(ImportRoster(server_->channel(), RosterOf(5), Options(), progress_),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(service_->Calls().size(), 1u);
}

TEST_F(RosterRetryTest, Import_StillUnavailableAfterItsRetries_Stops) {
  const grpc::Status down(grpc::StatusCode::UNAVAILABLE, "connection refused");
  Serve({down, down, down, down});
  RosterCallOptions options = Options();
  options.retries = 2;
  EXPECT_THAT(ImportRoster(server_->channel(), RosterOf(5), options, progress_),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(service_->Calls().size(), 3u);  // the call and its two retries
}

TEST_F(RosterRetryTest, Compare_CallFailedUnavailable_IsMadeAgain) {
  Serve({grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is draining")});
  ASSERT_OK_AND_ASSIGN(v1::CompareRosterResponse answer,
                       CompareRoster(server_->channel(), RosterOf(5), Options(), progress_));
  EXPECT_EQ(service_->Calls().size(), 2u);
  EXPECT_EQ(answer.rows(), 5);
}

}  // namespace
}  // namespace shouhu::admin
