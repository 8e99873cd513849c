// shouhu-probe: the two checks ops and the local stack need without grpcurl (which Debian 12 does not
// package): is a server healthy, and which services does its reflection list.
//   shouhu-probe health HOST:PORT [--wait=SECONDS] [--service=NAME]   exit 0 when SERVING
//   shouhu-probe services HOST:PORT                                  one service name per line
// Deliberately links neither shouhu_common nor libgrpc++_reflection: it carries its own copy of the
// reflection messages.
#include <grpcpp/create_channel.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: shouhu-probe health HOST:PORT [--wait=SECONDS] [--service=NAME]\n"
               "       shouhu-probe services HOST:PORT\n");
  return 2;
}

int Health(const std::string& target, int wait_seconds, const std::string& service) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  std::string last = "no answer";
  do {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (status.ok()) {
      last = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
      if (response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        std::printf("%s\n", last.c_str());
        return 0;
      }
    } else {
      last = status.error_message();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  } while (std::chrono::steady_clock::now() < give_up);
  std::printf("%s\n", last.c_str());
  return 1;
}

int Services(const std::string& target) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = stub->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  if (!stream->Write(request) || !stream->WritesDone() || !stream->Read(&response)) {
    std::fprintf(stderr, "reflection: %s\n", stream->Finish().error_message().c_str());
    return 1;
  }
  for (const auto& s : response.list_services_response().service()) std::printf("%s\n", s.name().c_str());
  (void)stream->Finish();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string command = argv[1], target = argv[2];
  int wait_seconds = 0;
  std::string service;
  for (int i = 3; i < argc; ++i) {
    if (std::strncmp(argv[i], "--wait=", 7) == 0) {
      wait_seconds = std::atoi(argv[i] + 7);
    } else if (std::strncmp(argv[i], "--service=", 10) == 0) {
      service = argv[i] + 10;
    } else {
      return Usage();
    }
  }
  if (command == "health") return Health(target, wait_seconds, service);
  if (command == "services") return Services(target);
  return Usage();
}
