// The services behind the gateway: one channel and one generic stub per package, created once and reused,
// chosen by the method's package (/shouhu.<svc>.v1.<Service>/<Method> → <svc>).
#ifndef SHOUHU_SERVICES_GATEWAY_BACKENDS_H_
#define SHOUHU_SERVICES_GATEWAY_BACKENDS_H_

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace shouhu::gateway {

// "registry=127.0.0.1:50051,training=127.0.0.1:50054" → {registry: …, training: …}.
absl::StatusOr<std::map<std::string, std::string>> ParseRoutes(absl::string_view text);

// The <svc> of "/shouhu.<svc>.v1.<Service>/<Method>", or empty when the method is not of that form.
std::string PackageOf(absl::string_view method);

class Backends {
 public:
  explicit Backends(const std::map<std::string, std::string>& routes);

  // Serves a package over a channel the caller made (the gateway's own admin service, in process).
  void Add(const std::string& package, std::shared_ptr<grpc::Channel> channel);

  // The stub for the method's service, or null when no service is configured for its package.
  grpc::GenericStub* Route(absl::string_view method) const;

 private:
  std::map<std::string, std::unique_ptr<grpc::GenericStub>, std::less<>> stubs_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_BACKENDS_H_
