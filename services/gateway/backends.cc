#include "services/gateway/backends.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace shouhu::gateway {

absl::StatusOr<std::map<std::string, std::string>> ParseRoutes(absl::string_view text) {
  std::map<std::string, std::string> routes;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(absl::StripAsciiWhitespace(entry), '=');
    if (kv.first.empty() || kv.second.empty() ||
        kv.first.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("routes: expected <service>=<host:port>, got '", std::string(entry), "'"));
    }
    routes[kv.first] = kv.second;
  }
  return routes;
}

std::string PackageOf(absl::string_view method) {
  if (!absl::ConsumePrefix(&method, "/shouhu.")) return "";
  const size_t dot = method.find('.');
  if (dot == absl::string_view::npos || !absl::StartsWith(method.substr(dot), ".v1.")) return "";
  return std::string(method.substr(0, dot));
}

Backends::Backends(const std::map<std::string, std::string>& routes) {
  for (const auto& [package, address] : routes) {
    grpc::ChannelArguments args;
    // A restarted service is found again within a second, not after gRPC's default two-minute backoff.
    // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC reads it as the minimum connect timeout too, and at 100 ms
    // a backend slow to answer a new connection (a busy machine) failed every call UNAVAILABLE; the
    // default leaves a connection 20 s to come up, within the caller's deadline.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
    Add(package, grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
}

void Backends::Add(const std::string& package, std::shared_ptr<grpc::Channel> channel) {
  stubs_[package] = std::make_unique<grpc::GenericStub>(std::move(channel));
}

grpc::GenericStub* Backends::Route(absl::string_view method) const {
  const std::string package = PackageOf(method);
  if (package.empty()) return nullptr;
  auto it = stubs_.find(package);
  return it == stubs_.end() ? nullptr : it->second.get();
}

}  // namespace shouhu::gateway
