// CallWorkers over a real loopback server: a full queue is refused at once, a call whose caller gave up while
// it waited is not run, and Continue (the rest of a call handed back to a worker) keeps both rules.
#include "common/call_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"
#include "tests/support/test_server.h"

namespace shouhu::testing {
namespace {

namespace v1 = ::shouhu::registry::v1;

// What a call does on its worker, chosen by the request's code; `finish` answers it.
using Work = std::function<void(grpc::CallbackServerContext&, const std::string& code, CallWorkers::Finish)>;

// GetDivision served through CallWorkers as a domain service serves its calls; the rest is unimplemented.
class WorkedService final : public v1::RegistryService::CallbackService {
 public:
  WorkedService(CallWorkers& workers, Work work) : workers_(workers), work_(std::move(work)) {}

  grpc::ServerUnaryReactor* GetDivision(grpc::CallbackServerContext* context,
                                        const v1::GetDivisionRequest* request,
                                        v1::GetDivisionResponse*) override {
    return workers_.ServeThen(context, [this, context, code = request->code()](CallWorkers::Finish finish) {
      work_(*context, code, std::move(finish));
    });
  }

 private:
  CallWorkers& workers_;
  Work work_;
};

class CallWorkersTest : public ::testing::Test {
 protected:
  // One worker and room for one queued call: a call holding the worker and one waiting fill it.
  void Start(Work work, int workers = 1, size_t max_queued = 1) {
    workers_ = std::make_unique<CallWorkers>(workers, max_queued);
    service_ = std::make_unique<WorkedService>(*workers_, std::move(work));
    server_ = std::make_unique<TestServer>(std::vector<std::pair<grpc::Service*, std::string>>{
        {service_.get(), v1::RegistryService::service_full_name()}});
    stub_ = v1::RegistryService::NewStub(server_->channel());
  }

  grpc::Status Call(const std::string& code, absl::Duration deadline = absl::Seconds(20)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    v1::GetDivisionRequest request;
    request.set_code(code);
    v1::GetDivisionResponse response;
    return stub_->GetDivision(&context, request, &response);
  }

  // With a call holding the only worker, two more calls: one is queued, the other refused at once (whichever
  // arrives second). Returns once the refusal is in; the statuses are the callers' answers.
  void FillTheQueue(grpc::Status& first, grpc::Status& second, std::thread& a, std::thread& b) {
    a = std::thread([&] {
      first = Call("quick");
      ++answered_;
    });
    b = std::thread([&] {
      second = Call("quick");
      ++answered_;
    });
    const absl::Time bound = absl::Now() + absl::Seconds(20);  // a liveness bound: a regression fails
    while (answered_.load() == 0 && absl::Now() < bound) absl::SleepFor(absl::Milliseconds(5));
    ASSERT_EQ(answered_.load(), 1) << "no call was refused while the worker was held and the queue full";
  }

  std::atomic<int> answered_{0};  // FillTheQueue's calls answered
  std::unique_ptr<CallWorkers> workers_;
  std::unique_ptr<WorkedService> service_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
};

// Holds the worker until `release`; every call that runs its work is counted.
struct HeldWorker {
  absl::Notification holding, release;
  std::atomic<int> ran{0};

  Work work() {
    return [this](grpc::CallbackServerContext&, const std::string& code, CallWorkers::Finish finish) {
      ++ran;
      if (code == "hold") {
        holding.Notify();
        release.WaitForNotification();
      }
      finish(absl::OkStatus());
    };
  }
};

TEST_F(CallWorkersTest, QueueFull_IsRefusedAtOnce_AndTheQueuedCallIsServed) {
  HeldWorker held;
  Start(held.work());
  grpc::Status holder, first, second;
  std::thread hold([&] { holder = Call("hold"); });
  ASSERT_TRUE(held.holding.WaitForNotificationWithTimeout(absl::Seconds(20)));
  std::thread a, b;
  FillTheQueue(first, second, a, b);
  const grpc::Status& refused = first.ok() ? second : first;
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_EQ(refused.error_message(), kOverloadedMessage);
  held.release.Notify();
  hold.join();
  a.join();
  b.join();
  EXPECT_TRUE(holder.ok()) << holder.error_message();
  EXPECT_TRUE(first.ok() != second.ok()) << "one call queued and served, one refused";
  EXPECT_EQ(held.ran.load(), 2) << "the refused call's work ran";
}

TEST_F(CallWorkersTest, CallerGaveUpWhileQueued_ItsWorkDoesNotRun) {
  HeldWorker held;
  // Room for two queued: the holder's answer can reach its caller before the worker takes the impatient call
  // off the queue, and the last call below must queue behind it then, not be refused.
  Start(held.work(), /*workers=*/1, /*max_queued=*/2);
  grpc::Status holder;
  std::thread hold([&] { holder = Call("hold"); });
  ASSERT_TRUE(held.holding.WaitForNotificationWithTimeout(absl::Seconds(20)));
  const grpc::Status impatient = Call("quick", absl::Milliseconds(300));
  EXPECT_EQ(impatient.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << impatient.error_message();
  // The server counts the deadline from the call's arrival, a little after the client: let it pass there too.
  absl::SleepFor(absl::Milliseconds(500));
  held.release.Notify();
  hold.join();
  // The queue is first in, first out: once a later call is served, the impatient one has been taken off it.
  EXPECT_TRUE(Call("quick").ok());
  EXPECT_TRUE(holder.ok()) << holder.error_message();
  EXPECT_EQ(held.ran.load(), 2) << "the work of a caller who gave up ran";
}

// A call whose first step runs on a worker and hands the rest back to the pool with Continue, as the
// registry's referral does when its village is not cached.
struct TwoSteps {
  CallWorkers* workers = nullptr;
  absl::Notification first_step_running, go_on, finished;
  std::atomic<int> second_steps{0};
  absl::Status answer;  // written before `finished`
  // The call's own answer, for a test to give when CallWorkers never did: a call left unanswered would hold
  // the server's shutdown, and the test would hang at its end instead of failing.
  CallWorkers::Finish unanswered;

  Work work() {
    return [this](grpc::CallbackServerContext& context, const std::string& code, CallWorkers::Finish finish) {
      if (code != "two-steps") return finish(absl::OkStatus());
      unanswered = finish;
      CallWorkers::Finish recorded = [this, finish](absl::Status status) {
        answer = status;
        finished.Notify();
        finish(std::move(status));
      };
      first_step_running.Notify();
      go_on.WaitForNotification();
      workers->Continue(context, recorded, [this](CallWorkers::Finish then) {
        ++second_steps;
        then(absl::OkStatus());
      });
    };
  }
};

TEST_F(CallWorkersTest, Continue_CallerGaveUpDuringTheFirstStep_SecondStepDoesNotRun) {
  TwoSteps call;
  Start(call.work(), /*workers=*/2, /*max_queued=*/8);
  call.workers = workers_.get();
  std::thread first([&] {
    EXPECT_EQ(Call("two-steps", absl::Milliseconds(300)).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  });
  ASSERT_TRUE(call.first_step_running.WaitForNotificationWithTimeout(absl::Seconds(20)));
  first.join();
  absl::SleepFor(absl::Milliseconds(500));  // past the server's deadline too
  call.go_on.Notify();
  ASSERT_TRUE(call.finished.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(call.answer.code(), absl::StatusCode::kCancelled) << call.answer;
  EXPECT_EQ(call.second_steps.load(), 0) << "the rest of a call whose caller gave up ran";
}

TEST_F(CallWorkersTest, Continue_QueueFull_IsRefusedAndTheSecondStepDoesNotRun) {
  TwoSteps call;
  Start(call.work());
  call.workers = workers_.get();
  grpc::Status two_steps, first, second;
  std::thread holder([&] { two_steps = Call("two-steps"); });
  ASSERT_TRUE(call.first_step_running.WaitForNotificationWithTimeout(absl::Seconds(20)));
  std::thread a, b;
  FillTheQueue(first, second, a, b);  // one queued, so the first step's Continue finds the queue full
  call.go_on.Notify();
  if (!call.finished.WaitForNotificationWithTimeout(absl::Seconds(20))) {
    ADD_FAILURE() << "the call whose second step found the queue full was never answered";
    call.unanswered(absl::InternalError("answered by the test"));
  }
  holder.join();
  a.join();
  b.join();
  EXPECT_EQ(two_steps.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << two_steps.error_message();
  EXPECT_EQ(call.second_steps.load(), 0);
  EXPECT_TRUE(first.ok() != second.ok()) << "one call queued and served, one refused";
}

}  // namespace
}  // namespace shouhu::testing
