#include "services/gateway/public_services.h"

#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/support/byte_buffer.h>

#include "google/protobuf/descriptor.h"

namespace shouhu::gateway {
namespace {

class StandIn final : public grpc::Service {
 public:
  explicit StandIn(const std::string& full_name)
      : method_name_("/" + full_name + "/GatewayReflectionStandIn") {
    AddMethod(new grpc::internal::RpcServiceMethod(method_name_.c_str(),
                                                   grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodRawCallback(
        0, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
               [](grpc::CallbackServerContext* context, const grpc::ByteBuffer*, grpc::ByteBuffer*) {
                 auto* reactor = context->DefaultReactor();
                 reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
                 return reactor;
               }));
  }

 private:
  const std::string method_name_;  // RpcServiceMethod keeps the pointer
};

}  // namespace

std::vector<std::string> ServicesIn(const std::vector<std::string>& proto_files) {
  std::vector<std::string> services;
  for (const std::string& file : proto_files) {
    const google::protobuf::FileDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindFileByName(file);
    if (descriptor == nullptr) continue;
    for (int i = 0; i < descriptor->service_count(); ++i)
      services.push_back(descriptor->service(i)->full_name());
  }
  return services;
}

std::unique_ptr<grpc::Service> ReflectionStandIn(const std::string& full_name) {
  return std::make_unique<StandIn>(full_name);
}

}  // namespace shouhu::gateway
