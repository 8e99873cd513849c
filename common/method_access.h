// Which roles may call which method, read from the `shouhu.common.v1.allowed_roles` option on each rpc in
// protos/: the one source of truth that the gateway's method policy and every service's edge both consult,
// so the two can never disagree. Row-level scope is each service's own business on top of this.
#ifndef SHOUHU_COMMON_METHOD_ACCESS_H_
#define SHOUHU_COMMON_METHOD_ACCESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/principal.h"
#include "google/protobuf/descriptor.h"

namespace shouhu {

// The method named "shouhu.registry.v1.RegistryService/GetChild" (or with a '.' before the method, or a
// leading '/'), looked up in the linked protos; nullptr when no linked service has it.
const google::protobuf::MethodDescriptor* FindMethod(absl::string_view full_name);

// The service of that full name ("shouhu.registry.v1.RegistryService") in the linked protos, or nullptr.
const google::protobuf::ServiceDescriptor* FindService(absl::string_view full_name);

// The roles the method's proto allows; empty when it declares none (then nobody may call it).
std::vector<Role> AllowedRoles(const google::protobuf::MethodDescriptor& method);

// The same roles as one bit per Role: what a hot path keeps, read once, instead of asking the descriptor
// pool (which takes a lock on every lookup) on every call.
uint64_t AllowedRoleMask(const google::protobuf::MethodDescriptor& method);

// Whether the principal holds one of the roles the method allows.
bool MayCall(const Principal& principal, const google::protobuf::MethodDescriptor& method);
bool MayCall(const Principal& principal, uint64_t allowed_role_mask);

// PERMISSION_DENIED unless MayCall.
absl::Status CheckMayCall(const Principal& principal, const google::protobuf::MethodDescriptor& method);
absl::Status CheckMayCall(const Principal& principal, uint64_t allowed_role_mask);

// The principal acting in a call of a method allowing `allowed_role_mask`: with the roles that may make the
// call and no other, so a role that may not call the method lends it nothing, not even its wider scope (an
// NGO admin who also trains volunteers searches children as an NGO admin, bound to their organisation, not
// with a trainer's view of the whole county). PERMISSION_DENIED unless MayCall.
absl::StatusOr<Principal> ActingFor(Principal principal, uint64_t allowed_role_mask);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_METHOD_ACCESS_H_
