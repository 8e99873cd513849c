// The test backend behind the gateway: shouhu.echo.v1.EchoService on a loopback port, verifying forwarded
// principals with shouhu::PrincipalVerifier like every Shouhu service.
#ifndef SHOUHU_TESTS_INTEGRATION_GATEWAY_ECHO_BACKEND_H_
#define SHOUHU_TESTS_INTEGRATION_GATEWAY_ECHO_BACKEND_H_

#include <grpcpp/server.h>

#include <atomic>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/principal.h"
#include "shouhu/echo/v1/echo.grpc.pb.h"
#include "tests/support/test_keys.h"

namespace shouhu::testing {

// Children the backend knows: "child-530102" lives in 530102 (Kunming Wuhua), "child-110101" in 110101
// (Beijing Dongcheng).
class EchoBackend final : public echo::v1::EchoService::Service {
 public:
  // address "127.0.0.1:0" picks a free port.
  static std::unique_ptr<EchoBackend> Start(const std::string& address = "127.0.0.1:0");
  ~EchoBackend() override;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void Stop();
  // Calls to Sleep that ended because their caller cancelled or their deadline passed.
  int cancelled_sleeps() const { return cancelled_sleeps_.load(); }

  grpc::Status WhoAmI(grpc::ServerContext* context, const echo::v1::WhoAmIRequest* request,
                      echo::v1::WhoAmIResponse* response) override;
  grpc::Status GetChild(grpc::ServerContext* context, const echo::v1::GetChildRequest* request,
                        echo::v1::GetChildResponse* response) override;
  grpc::Status Sleep(grpc::ServerContext* context, const echo::v1::SleepRequest* request,
                     echo::v1::SleepResponse* response) override;
  grpc::Status SubmitReferral(grpc::ServerContext* context, const echo::v1::SubmitReferralRequest* request,
                              echo::v1::SubmitReferralResponse* response) override;
  grpc::Status StreamNumbers(grpc::ServerContext* context, const echo::v1::StreamNumbersRequest* request,
                             grpc::ServerWriter<echo::v1::StreamNumbersResponse>* writer) override;
  grpc::Status Fail(grpc::ServerContext* context, const echo::v1::FailRequest* request,
                    echo::v1::FailResponse* response) override;

 private:
  EchoBackend() : verifier_(TestTrustedKeys(), clock_) {}

  SystemClock clock_;
  PrincipalVerifier verifier_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<int> cancelled_sleeps_{0};
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_INTEGRATION_GATEWAY_ECHO_BACKEND_H_
