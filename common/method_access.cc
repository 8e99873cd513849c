#include "common/method_access.h"

#include "absl/strings/str_cat.h"
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

bool MayCall(const Principal& principal, const google::protobuf::MethodDescriptor& method) {
  const auto& options = method.options();
  const int n = options.ExtensionSize(common::v1::allowed_roles);
  for (int i = 0; i < n; ++i) {
    if (HasRole(principal, options.GetExtension(common::v1::allowed_roles, i))) return true;
  }
  return false;
}

absl::Status CheckMayCall(const Principal& principal, const google::protobuf::MethodDescriptor& method) {
  if (MayCall(principal, method)) return absl::OkStatus();
  return absl::PermissionDeniedError("your role may not call this method");
}

}  // namespace shouhu
