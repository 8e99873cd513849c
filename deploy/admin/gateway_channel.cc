#include "deploy/admin/gateway_channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace shouhu::admin {

bool IsLoopback(absl::string_view target) {
  if (absl::StartsWith(target, "unix:") || absl::StartsWith(target, "unix-abstract:")) return true;
  for (absl::string_view scheme : {"dns:///", "dns:", "ipv4:", "ipv6:"}) {
    if (absl::ConsumePrefix(&target, scheme)) break;
  }
  absl::string_view host = target;
  if (absl::ConsumePrefix(&host, "[")) {
    host = host.substr(0, host.find(']'));
  } else if (const size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

bool UsesTls(const GatewayAddress& address) {
  return !IsLoopback(address.target) || !address.ca_file.empty();
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> GatewayChannel(const GatewayAddress& address) {
  if (!UsesTls(address)) return grpc::CreateChannel(address.target, grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions tls;
  if (!address.ca_file.empty()) {
    std::ifstream in(address.ca_file, std::ios::binary);
    std::stringstream pem;
    pem << in.rdbuf();
    if (!in || pem.str().empty()) {
      return absl::NotFoundError(absl::StrCat("ca_cert: cannot read ", address.ca_file));
    }
    tls.pem_root_certs = pem.str();
  }
  return grpc::CreateChannel(address.target, grpc::SslCredentials(tls));
}

}  // namespace shouhu::admin
