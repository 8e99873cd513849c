#include "tests/integration/gateway/echo_backend.h"

#include <grpcpp/server_builder.h>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace shouhu::testing {

std::unique_ptr<EchoBackend> EchoBackend::Start(const std::string& address) {
  std::unique_ptr<EchoBackend> backend(new EchoBackend());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &backend->port_);
  builder.RegisterService(backend.get());
  backend->server_ = builder.BuildAndStart();
  if (backend->server_ == nullptr) return nullptr;
  return backend;
}

EchoBackend::~EchoBackend() { Stop(); }

void EchoBackend::Stop() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
  server_.reset();
}

grpc::Status EchoBackend::WhoAmI(grpc::ServerContext* context, const echo::v1::WhoAmIRequest*,
                                 echo::v1::WhoAmIResponse* response) {
  auto principal = verifier_.Verify(*context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  *response->mutable_principal() = *principal;
  for (const auto& [key, value] : context->client_metadata()) {
    const std::string name(key.data(), key.size());
    if (absl::StartsWith(name, "x-shouhu-")) response->add_shouhu_metadata_keys(name);
    if (name == "x-request-id") response->set_request_id(std::string(value.data(), value.size()));
  }
  return grpc::Status::OK;
}

grpc::Status EchoBackend::GetChild(grpc::ServerContext* context, const echo::v1::GetChildRequest* request,
                                   echo::v1::GetChildResponse* response) {
  auto principal = verifier_.Verify(*context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const std::string division = request->child_id() == "child-530102"   ? "530102"
                               : request->child_id() == "child-110101" ? "110101"
                                                                       : "";
  // Outside the caller's jurisdiction a child does not exist, as in the registry.
  if (division.empty() || !InJurisdiction(*principal, division)) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such child");
  }
  response->set_child_id(request->child_id());
  response->set_division_code(division);
  return grpc::Status::OK;
}

grpc::Status EchoBackend::Sleep(grpc::ServerContext* context, const echo::v1::SleepRequest* request,
                                echo::v1::SleepResponse* response) {
  auto principal = verifier_.Verify(*context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    response->set_deadline_remaining_ms(-1);
  } else {
    response->set_deadline_remaining_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::system_clock::now())
            .count());
  }
  const absl::Time until = absl::Now() + absl::Milliseconds(request->sleep_ms());
  while (absl::Now() < until) {
    if (context->IsCancelled()) {
      cancelled_sleeps_.fetch_add(1);
      return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return grpc::Status::OK;
}

grpc::Status EchoBackend::SubmitReferral(grpc::ServerContext* context,
                                         const echo::v1::SubmitReferralRequest* request,
                                         echo::v1::SubmitReferralResponse* response) {
  auto principal = verifier_.Verify(*context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (request->referral().child_name().empty()) {
    return ToGrpcStatus(InvalidField("referral.child_name", "is required"));
  }
  if (!InJurisdiction(*principal, request->referral().division_code())) {
    return ToGrpcStatus(InvalidField("referral.division_code", "is outside the caller's jurisdiction"));
  }
  response->set_referral_id("ref-" + request->request_id());
  *response->mutable_referral() = request->referral();
  response->set_submitted_by(principal->subject());
  return grpc::Status::OK;
}

grpc::Status EchoBackend::StreamNumbers(grpc::ServerContext* context,
                                        const echo::v1::StreamNumbersRequest* request,
                                        grpc::ServerWriter<echo::v1::StreamNumbersResponse>* writer) {
  auto principal = verifier_.Verify(*context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  for (int i = 1; i <= request->count(); ++i) {
    echo::v1::StreamNumbersResponse response;
    response.set_number(i);
    if (!writer->Write(response)) return grpc::Status(grpc::StatusCode::CANCELLED, "caller went away");
  }
  return grpc::Status(static_cast<grpc::StatusCode>(request->final_code()),
                      request->final_code() == 0 ? "" : "stream ended with an error");
}

grpc::Status EchoBackend::Fail(grpc::ServerContext* context, const echo::v1::FailRequest* request,
                               echo::v1::FailResponse*) {
  auto principal = verifier_.Verify(*context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  absl::Status status(static_cast<absl::StatusCode>(request->code()), "failed as asked");
  if (!request->field().empty()) status = InvalidField(request->field(), "failed as asked");
  return ToGrpcStatus(status);
}

}  // namespace shouhu::testing
