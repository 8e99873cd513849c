// shouhu-probe: what ops and the local stack need from grpcurl, which Debian 12 does not package:
// is a server healthy, which services does its reflection list, and a unary call in JSON.
//   shouhu-probe health HOST:PORT [--wait=SECONDS] [--service=NAME]   exit 0 when SERVING
//   shouhu-probe services HOST:PORT                                  one service name per line
//   shouhu-probe call HOST:PORT pkg.Service/Method 'JSON' [--token=T]  a unary call described by reflection,
//                                                                     request and answer in proto3 JSON
// Deliberately links neither shouhu_common nor libgrpc++_reflection: it carries its own copy of the
// reflection messages.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <thread>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: shouhu-probe health HOST:PORT [--wait=SECONDS] [--service=NAME]\n"
               "       shouhu-probe services HOST:PORT\n"
               "       shouhu-probe call HOST:PORT pkg.Service/Method 'JSON' [--token=BEARER]\n");
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

// Asks the server's reflection for the files describing `symbol`, with their dependencies, into `db`.
bool LoadDescriptors(const std::shared_ptr<grpc::Channel>& channel, const std::string& symbol,
                     google::protobuf::SimpleDescriptorDatabase* db) {
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = stub->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_file_containing_symbol(symbol);
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  if (!stream->Write(request) || !stream->WritesDone() || !stream->Read(&response)) return false;
  (void)stream->Finish();
  if (response.has_error_response()) {
    std::fprintf(stderr, "reflection: %s\n", response.error_response().error_message().c_str());
    return false;
  }
  for (const auto& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    if (file.ParseFromString(bytes)) db->Add(file);
  }
  return true;
}

int Call(const std::string& target, const std::string& method_path, const std::string& json,
         const std::string& token) {
  const auto slash = method_path.find('/');
  if (slash == std::string::npos) return Usage();
  const std::string service = method_path.substr(0, slash);
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  google::protobuf::SimpleDescriptorDatabase db;
  if (!LoadDescriptors(channel, service, &db)) return 1;
  google::protobuf::DescriptorPool pool(&db);
  const auto* method = pool.FindMethodByName(service + "." + method_path.substr(slash + 1));
  if (method == nullptr) {
    std::fprintf(stderr, "no method %s\n", method_path.c_str());
    return 1;
  }
  google::protobuf::DynamicMessageFactory factory(&pool);
  std::unique_ptr<google::protobuf::Message> request(factory.GetPrototype(method->input_type())->New());
  std::unique_ptr<google::protobuf::Message> response(factory.GetPrototype(method->output_type())->New());
  auto parsed = google::protobuf::util::JsonStringToMessage(json, request.get());
  if (!parsed.ok()) {
    std::fprintf(stderr, "request JSON: %s\n", parsed.ToString().c_str());
    return 2;
  }
  const std::string wire = request->SerializeAsString();
  grpc::Slice slice(wire);
  grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  grpc::GenericStub stub(channel);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/" + method_path, grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    std::printf("{\"code\":%d,\"message\":\"%s\"}\n", status.error_code(), status.error_message().c_str());
    return 1;
  }
  std::vector<grpc::Slice> slices;
  (void)response_buffer.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  response->ParseFromString(bytes);
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(*response, &out, options);
  std::printf("%s", out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string command = argv[1], target = argv[2];
  int wait_seconds = 0;
  std::string service, token;
  int first_option = 3;
  if (command == "call") {
    if (argc < 5) return Usage();
    first_option = 5;
  }
  for (int i = first_option; i < argc; ++i) {
    if (std::strncmp(argv[i], "--wait=", 7) == 0) {
      wait_seconds = std::atoi(argv[i] + 7);
    } else if (std::strncmp(argv[i], "--service=", 10) == 0) {
      service = argv[i] + 10;
    } else if (std::strncmp(argv[i], "--token=", 8) == 0) {
      token = argv[i] + 8;
    } else {
      return Usage();
    }
  }
  if (command == "health") return Health(target, wait_seconds, service);
  if (command == "services") return Services(target);
  if (command == "call") return Call(target, argv[3], argv[4], token);
  return Usage();
}
