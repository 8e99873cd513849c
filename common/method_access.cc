#include "common/method_access.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "shouhu/common/v1/access.pb.h"

namespace shouhu {

const google::protobuf::MethodDescriptor* FindMethod(absl::string_view full_name) {
  if (!full_name.empty() && full_name.front() == '/') full_name.remove_prefix(1);
  std::string dotted(full_name);
  const size_t slash = dotted.rfind('/');
  if (slash != std::string::npos) dotted[slash] = '.';
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted);
}

const google::protobuf::ServiceDescriptor* FindService(absl::string_view full_name) {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(full_name));
}

std::vector<Role> AllowedRoles(const google::protobuf::MethodDescriptor& method) {
  const auto& options = method.options();
  std::vector<Role> roles;
  const int n = options.ExtensionSize(common::v1::allowed_roles);
  roles.reserve(n);
  for (int i = 0; i < n; ++i) roles.push_back(options.GetExtension(common::v1::allowed_roles, i));
  return roles;
}

static_assert(common::v1::Role_MAX < 64, "each role is one bit of a uint64_t");

uint64_t AllowedRoleMask(const google::protobuf::MethodDescriptor& method) {
  uint64_t mask = 0;
  for (Role role : AllowedRoles(method)) mask |= uint64_t{1} << role;
  return mask;
}

namespace {

bool Allows(uint64_t allowed_role_mask, int role) {
  return role >= 0 && role < 64 && (allowed_role_mask >> role & 1) != 0;
}

}  // namespace

bool MayCall(const Principal& principal, uint64_t allowed_role_mask) {
  for (int role : principal.roles()) {
    if (Allows(allowed_role_mask, role)) return true;
  }
  return false;
}

bool MayCall(const Principal& principal, const google::protobuf::MethodDescriptor& method) {
  return MayCall(principal, AllowedRoleMask(method));
}

absl::Status CheckMayCall(const Principal& principal, uint64_t allowed_role_mask) {
  if (MayCall(principal, allowed_role_mask)) return absl::OkStatus();
  return absl::PermissionDeniedError("your role may not call this method");
}

absl::Status CheckMayCall(const Principal& principal, const google::protobuf::MethodDescriptor& method) {
  return CheckMayCall(principal, AllowedRoleMask(method));
}

absl::StatusOr<Principal> ActingFor(Principal principal, uint64_t allowed_role_mask) {
  RETURN_IF_ERROR(CheckMayCall(principal, allowed_role_mask));
  auto* roles = principal.mutable_roles();
  roles->erase(std::remove_if(roles->begin(), roles->end(),
                              [allowed_role_mask](int role) { return !Allows(allowed_role_mask, role); }),
               roles->end());
  return principal;
}

}  // namespace shouhu
