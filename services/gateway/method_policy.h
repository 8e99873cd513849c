// Which roles may call which methods, loaded once from a JSON file. Methods not named are denied to everyone,
// so a new RPC is closed until policy opens it. Row-level scoping (jurisdiction) stays in the services.
//
//   {"rules": [
//     {"methods": ["shouhu.registry.v1.RegistryService/GetChild"], "roles": ["CIVIL_AFFAIRS_OFFICER"]},
//     {"methods": ["shouhu.gateway.v1.GatewayAdminService/*"], "roles": ["ADMIN"]}
//   ]}
#ifndef SHOUHU_SERVICES_GATEWAY_METHOD_POLICY_H_
#define SHOUHU_SERVICES_GATEWAY_METHOD_POLICY_H_

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "common/principal.h"

namespace shouhu::gateway {

class MethodPolicy {
 public:
  static absl::StatusOr<MethodPolicy> Parse(const std::string& json);
  static absl::StatusOr<MethodPolicy> Load(const std::string& path);

  // `method` as gRPC names it: "/shouhu.registry.v1.RegistryService/GetChild".
  bool Allows(const Principal& principal, absl::string_view method) const;

 private:
  // "pkg.Service/Method" or "pkg.Service/*" → roles.
  std::map<std::string, std::set<int>, std::less<>> roles_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_METHOD_POLICY_H_
