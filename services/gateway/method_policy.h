// Which roles may call which methods. For the domain services (shouhu.<svc>.v1 other than the gateway's own)
// the answer is each rpc's `allowed_roles` option in its proto (common/method_access.h), the one source of
// truth the services' own edges consult too, so the gateway and a service never disagree; the policy file
// may not name their methods. The file holds the rest (the gateway's own admin service), read from JSON;
// methods named nowhere are denied to everyone, so a new RPC is closed until its proto or the file opens
// it. Row-level scoping (jurisdiction) stays in the services.
//
//   {"rules": [
//     {"methods": ["shouhu.gateway.v1.GatewayAdminService/*"], "roles": ["ADMIN"]}
//   ]}
#ifndef SHOUHU_SERVICES_GATEWAY_METHOD_POLICY_H_
#define SHOUHU_SERVICES_GATEWAY_METHOD_POLICY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/principal.h"

namespace shouhu::gateway {

// Whether `method` ("/shouhu.registry.v1.RegistryService/GetChild", with or without the leading slash)
// belongs to a domain service, whose roles its proto declares.
bool IsDomainServiceMethod(absl::string_view method);

class MethodPolicy {
 public:
  static absl::StatusOr<MethodPolicy> Parse(const std::string& json);

  // `method` as gRPC names it: "/shouhu.registry.v1.RegistryService/GetChild".
  bool Allows(const Principal& principal, absl::string_view method) const;

 private:
  // "pkg.Service/Method" or "pkg.Service/*" → roles.
  std::map<std::string, std::set<int>, std::less<>> roles_;
  // "pkg.Service/Method" of every public domain service's method → its proto's allowed-role mask, read once
  // at parse: a forwarded call then costs one lookup, not a search of the generated descriptor pool (which
  // takes the pool's one mutex on every call).
  absl::flat_hash_map<std::string, uint64_t> domain_role_masks_;
};

// The policy in force, read from its file at start and read again by Reload when the file has changed, so ops
// can open or close a method without a restart. A file that no longer parses leaves the policy in force as it
// was; Reload says why.
class PolicyFile {
 public:
  static absl::StatusOr<std::unique_ptr<PolicyFile>> Load(const std::string& path);

  // OK and unchanged when the file's text is what is in force already.
  absl::Status Reload();
  bool Allows(const Principal& principal, absl::string_view method) const;

 private:
  explicit PolicyFile(std::string path) : path_(std::move(path)) {}

  const std::string path_;
  mutable absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const MethodPolicy> policy_ ABSL_GUARDED_BY(mu_);
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_METHOD_POLICY_H_
