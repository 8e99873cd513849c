// CallWorkers: the blocking part of a callback-API call runs on the pool, and a call served on arrival needs
// no worker; a full queue refuses at once; a call that gave up while it waited is not run; a database fault
// reaches the caller as a plain UNAVAILABLE and its detail the log. Served over loopback with callback
// grpc.health.v1 services whose Check blocks until the test lets it go, or asks a database that is not there.
#include "common/call_workers.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/db.h"
#include "common/log.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/test_server.h"

namespace shouhu {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class BlockingCheck final : public grpc::health::v1::Health::CallbackService {
 public:
  explicit BlockingCheck(CallWorkers& workers) : workers_(workers) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context, const HealthCheckRequest* request,
                                  HealthCheckResponse* response) override {
    // "queued": served on arrival and handed on, as a group commit takes a payment; finished by the test.
    if (request->service() == "queued") {
      return workers_.ServeOnArrival(context, [this, response](CallWorkers::Finish finish) {
        response->set_status(HealthCheckResponse::SERVING);
        absl::MutexLock lock(&mu_);
        handed_on_.push_back(std::move(finish));
      });
    }
    return workers_.Serve(context, [this, response] {
      started_.fetch_add(1);
      release_.WaitForNotification();
      response->set_status(HealthCheckResponse::SERVING);
      return absl::OkStatus();
    });
  }

  int started() const { return started_.load(); }
  // The finishes of the "queued" calls that arrived, taken.
  std::vector<CallWorkers::Finish> TakeHandedOn() {
    absl::MutexLock lock(&mu_);
    return std::move(handed_on_);
  }
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }

 private:
  CallWorkers& workers_;
  std::atomic<int> started_{0};
  absl::Notification release_;
  absl::Mutex mu_;
  std::vector<CallWorkers::Finish> handed_on_ ABSL_GUARDED_BY(mu_);
};

class CallWorkersTest : public ::testing::Test {
 protected:
  void Start(int workers, size_t max_queued) {
    workers_ = std::make_unique<CallWorkers>(workers, max_queued);
    service_ = std::make_unique<BlockingCheck>(*workers_);
    // ServiceHost turns the default health service on process-wide; this server serves its own.
    grpc::EnableDefaultHealthCheckService(false);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = grpc::health::v1::Health::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (service_ != nullptr) service_->Release();
    if (server_ != nullptr) server_->Shutdown();
  }

  // Starts a Check in the background; its status lands in `status`, then `done` is notified.
  std::thread Call(grpc::Status& status, absl::Notification& done,
                   absl::Duration deadline = absl::Seconds(10), const std::string& service = "") {
    return std::thread([this, &status, &done, deadline, service] {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
      HealthCheckRequest request;
      request.set_service(service);
      HealthCheckResponse response;
      status = stub_->Check(&context, request, &response);
      done.Notify();
    });
  }

  bool Eventually(const std::function<bool()>& condition) {
    for (int i = 0; i < 200 && !condition(); ++i) absl::SleepFor(absl::Milliseconds(10));
    return condition();
  }

  std::unique_ptr<CallWorkers> workers_;
  std::unique_ptr<BlockingCheck> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::health::v1::Health::Stub> stub_;
};

TEST_F(CallWorkersTest, QueueFull_IsResourceExhaustedAtOnce_AndQueuedCallsRunWhenAWorkerFrees) {
  Start(/*workers=*/1, /*max_queued=*/1);
  grpc::Status running, queued, refused;
  absl::Notification running_done, queued_done, refused_done;
  std::thread a = Call(running, running_done);
  ASSERT_TRUE(Eventually([&] { return service_->started() == 1; }));
  std::thread b = Call(queued, queued_done);
  absl::SleepFor(absl::Milliseconds(100));  // b is in the queue
  std::thread c = Call(refused, refused_done);
  EXPECT_TRUE(refused_done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_FALSE(running_done.HasBeenNotified());
  service_->Release();
  a.join();
  b.join();
  c.join();
  EXPECT_TRUE(running.ok()) << running.error_message();
  EXPECT_TRUE(queued.ok()) << queued.error_message();
  EXPECT_EQ(service_->started(), 2);
}

TEST_F(CallWorkersTest, ServeOnArrival_EveryWorkerBusy_StillHandedOnAndFinishedFromAnotherThread) {
  Start(/*workers=*/1, /*max_queued=*/1);
  grpc::Status blocked, queued;
  absl::Notification blocked_done, queued_done;
  std::thread a = Call(blocked, blocked_done);
  ASSERT_TRUE(Eventually([&] { return service_->started() == 1; }));  // the only worker is taken
  std::thread b = Call(queued, queued_done, absl::Seconds(10), "queued");
  std::vector<CallWorkers::Finish> handed_on;
  ASSERT_TRUE(Eventually([&] {
    for (auto& finish : service_->TakeHandedOn()) handed_on.push_back(std::move(finish));
    return !handed_on.empty();
  }));
  EXPECT_FALSE(queued_done.HasBeenNotified());  // answered only when finished
  std::thread([&] { handed_on.front()(absl::OkStatus()); }).join();
  EXPECT_TRUE(queued_done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_TRUE(queued.ok()) << queued.error_message();
  EXPECT_FALSE(blocked_done.HasBeenNotified());  // the worker was never needed
  service_->Release();
  a.join();
  b.join();
  EXPECT_TRUE(blocked.ok()) << blocked.error_message();
}

TEST_F(CallWorkersTest, DeadlinePassedWhileQueued_TheWorkIsNotRun) {
  Start(/*workers=*/1, /*max_queued=*/8);
  grpc::Status running, expired;
  absl::Notification running_done, expired_done;
  std::thread a = Call(running, running_done);
  ASSERT_TRUE(Eventually([&] { return service_->started() == 1; }));
  std::thread b = Call(expired, expired_done, absl::Milliseconds(100));
  EXPECT_TRUE(expired_done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server's deadline for b is a little later than the client's (sent as a timeout, rounded up, and
  // counted from arrival): let it pass there too before the worker comes free.
  absl::SleepFor(absl::Milliseconds(100));
  service_->Release();
  a.join();
  b.join();
  EXPECT_TRUE(running.ok());
  // The worker came to b only after its deadline: it was skipped, not run.
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(service_->started(), 1);
}

// A Check that asks the database, as every domain service's calls do.
class DatabaseCheck final : public grpc::health::v1::Health::CallbackService {
 public:
  DatabaseCheck(CallWorkers& workers, db::Pool& pool) : workers_(workers), pool_(pool) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context, const HealthCheckRequest*,
                                  HealthCheckResponse*) override {
    return workers_.Serve(context, [this] { return pool_.Ping(); });
  }

 private:
  CallWorkers& workers_;
  db::Pool& pool_;
};

// The caller hears a plain UNAVAILABLE; the database's own words and its address reach only the log.
TEST(CallWorkersFaultTest, DatabaseUnreachable_IsUnavailableWithoutItsDetail_WhichIsLogged) {
  DbConfig config;
  config.host = "127.0.0.1";
  config.port = testing::ClosedPort();
  config.database = "nowhere";
  config.connect_timeout = absl::Seconds(2);
  auto pool = db::Pool::Open(config);
  ASSERT_TRUE(pool.ok()) << pool.status();
  std::FILE* log = std::tmpfile();
  ASSERT_NE(log, nullptr);
  grpc::Status status;
  {
    Logger logger("call-workers-test", log);
    CallWorkers workers(2, logger);
    DatabaseCheck service(workers, **pool);
    grpc::EnableDefaultHealthCheckService(false);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    ASSERT_NE(server, nullptr);
    auto stub = grpc::health::v1::Health::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.AddMetadata("x-request-id", "req-db-down-1");
    HealthCheckResponse response;
    status = stub->Check(&context, HealthCheckRequest(), &response);
    server->Shutdown();
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  const std::vector<std::string> leaks = {"database", "HY000",     "2002",
                                          "2003",     "127.0.0.1", std::to_string(config.port)};
  for (const std::string& leak : leaks) {
    EXPECT_EQ(status.error_message().find(leak), std::string::npos) << status.error_message();
  }
  EXPECT_EQ(status.error_message(), "the service is temporarily unavailable; retry later");
  std::rewind(log);
  std::string logged;
  char buffer[1024];
  while (std::fgets(buffer, sizeof buffer, log) != nullptr) logged += buffer;
  std::fclose(log);
  EXPECT_NE(logged.find("database error"), std::string::npos) << logged;
  EXPECT_NE(logged.find("req-db-down-1"), std::string::npos) << logged;
}

}  // namespace
}  // namespace shouhu
