// shouhu-admin's roster calls when the network or a service fails them on the way: a transient failure
// (UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED) sends the same call again, with the same import id and chunk
// numbers, so the registry answers what it already committed from its records; any other failure stops the
// command at once. Against a RosterService of the test's own that fails the calls it is told to, on loopback.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "deploy/admin/roster_commands.h"
#include "tests/support/status_matchers.h"

namespace shouhu::admin {
namespace {

namespace v1 = registry::v1;
using ::shouhu::testing::StatusIs;

// What one call sent.
struct SentCall {
  std::string import_id;
  std::vector<int64_t> chunk_numbers;
};

// Answers the n-th call (from 0) with failures[n] while there are failures left, after reading the whole
// stream (as a registry that committed the chunks and lost the answer on the way back); then answers each
// call with the rows it was sent, all created.
class FailingRosterService final : public v1::RosterService::Service {
 public:
  explicit FailingRosterService(std::vector<grpc::Status> failures) : failures_(std::move(failures)) {}

  grpc::Status ImportRoster(grpc::ServerContext*, grpc::ServerReader<v1::ImportRosterRequest>* reader,
                            v1::ImportRosterResponse* answer) override {
    SentCall call;
    int64_t rows = 0;
    for (v1::ImportRosterRequest message; reader->Read(&message);) {
      if (message.has_header()) call.import_id = message.header().import_id();
      if (message.has_chunk()) {
        call.chunk_numbers.push_back(message.chunk().chunk_number());
        rows += message.chunk().rows_size();
      }
    }
    answer->set_chunks(static_cast<int64_t>(call.chunk_numbers.size()));
    answer->set_rows(rows);
    answer->set_created(rows);
    return Answer(std::move(call));
  }

  grpc::Status CompareRoster(grpc::ServerContext*, grpc::ServerReader<v1::CompareRosterRequest>* reader,
                             v1::CompareRosterResponse* answer) override {
    SentCall call;
    int64_t rows = 0;
    for (v1::CompareRosterRequest message; reader->Read(&message);) {
      if (message.has_chunk()) rows += message.chunk().rows_size();
    }
    answer->set_rows(rows);
    return Answer(std::move(call));
  }

  std::vector<SentCall> Calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  grpc::Status Answer(SentCall call) {
    absl::MutexLock lock(&mu_);
    calls_.push_back(std::move(call));
    return calls_.size() <= failures_.size() ? failures_[calls_.size() - 1] : grpc::Status::OK;
  }

  const std::vector<grpc::Status> failures_;
  absl::Mutex mu_;
  std::vector<SentCall> calls_ ABSL_GUARDED_BY(mu_);
};

class RosterRetryTest : public ::testing::Test {
 protected:
  void Serve(std::vector<grpc::Status> failures) {
    service_ = std::make_unique<FailingRosterService>(std::move(failures));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // Five children: three chunks of two rows, sent as two calls (chunks 1-2, then 3).
  static LoadedRoster FiveChildren() {
    std::string text =
        "name,sex,birth_date,resident_id,village_code,categories,guardian1_name,guardian1_relationship,"
        "guardian1_status\n";
    for (const char* id : {"532329201506071232", "532329201406071235", "532329201306071238",
                           "532329201206071230", "532329201106071233"}) {
      absl::StrAppend(&text, "张小明,male,2015-06-07,", id, ",532329101001,left_behind,王秀英,grandparent,",
                      "present_and_able\n");
    }
    absl::StatusOr<LoadedRoster> roster = LoadRoster(text);
    EXPECT_TRUE(roster.ok()) << roster.status();
    return *std::move(roster);
  }

  static RosterCallOptions Options() {
    RosterCallOptions options;
    options.token = "token";
    options.chunk_rows = 2;
    options.chunks_per_call = 2;
    options.first_retry_wait = absl::Milliseconds(1);
    return options;
  }

  std::unique_ptr<FailingRosterService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::ostringstream progress_;
};

TEST_F(RosterRetryTest, Import_CallFailedUnavailable_SentAgainWithTheSameChunks_AndCountedOnce) {
  Serve({grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is draining")});
  const LoadedRoster roster = FiveChildren();
  ASSERT_EQ(roster.parsed.rows.size(), 5u);

  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse answer, ImportRoster(channel_, roster, Options(), progress_));

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
                       ImportRoster(channel_, FiveChildren(), Options(), progress_));
  EXPECT_EQ(service_->Calls().size(), 5u);
  EXPECT_EQ(answer.created(), 5);
}

TEST_F(RosterRetryTest, Import_RefusedCall_StopsAtOnce) {
  Serve({grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "not this county's officer")});
  EXPECT_THAT(ImportRoster(channel_, FiveChildren(), Options(), progress_),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(service_->Calls().size(), 1u);
}

TEST_F(RosterRetryTest, Import_StillUnavailableAfterItsRetries_Stops) {
  const grpc::Status down(grpc::StatusCode::UNAVAILABLE, "connection refused");
  Serve({down, down, down, down});
  RosterCallOptions options = Options();
  options.retries = 2;
  EXPECT_THAT(ImportRoster(channel_, FiveChildren(), options, progress_),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(service_->Calls().size(), 3u);  // the call and its two retries
}

TEST_F(RosterRetryTest, Compare_CallFailedUnavailable_IsMadeAgain) {
  Serve({grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is draining")});
  ASSERT_OK_AND_ASSIGN(v1::CompareRosterResponse answer,
                       CompareRoster(channel_, FiveChildren(), Options(), progress_));
  EXPECT_EQ(service_->Calls().size(), 2u);
  EXPECT_EQ(answer.rows(), 5);
}

}  // namespace
}  // namespace shouhu::admin
