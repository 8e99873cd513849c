// How shouhu-admin reaches the gateway: over TLS (the province's ingress, e.g. grpc.shouhu.example:443, whose
// certificate the region's CA issued: deploy/k8s/overlays/prod/ingress-tls.yaml), or in plaintext to this
// machine only (the local stack, a kubectl port-forward). A bearer token and a roster's children never cross
// a network unencrypted, whatever the flags say.
#ifndef SHOUHU_DEPLOY_ADMIN_GATEWAY_CHANNEL_H_
#define SHOUHU_DEPLOY_ADMIN_GATEWAY_CHANNEL_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shouhu::admin {

struct GatewayAddress {
  std::string target;   // host:port, [v6]:port, or a gRPC target (dns:///host:port, ipv4:…, unix:…)
  std::string ca_file;  // PEM roots to trust (the region's CA); empty: the system's
};

// Whether the target names this machine: localhost, 127.0.0.0/8, ::1, or a unix socket.
bool IsLoopback(absl::string_view target);

// TLS unless the target is this machine and no CA was given.
bool UsesTls(const GatewayAddress& address);

// A channel to the gateway as UsesTls says; an error naming ca_cert when its file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::Channel>> GatewayChannel(const GatewayAddress& address);

}  // namespace shouhu::admin

#endif  // SHOUHU_DEPLOY_ADMIN_GATEWAY_CHANNEL_H_
