#include "services/gateway/method_policy.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/method_access.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/gateway/backends.h"
#include "services/gateway/public_services.h"
#include "services/gateway/role_names.h"

namespace shouhu::gateway {

absl::StatusOr<MethodPolicy> MethodPolicy::Parse(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("rules") || !json["rules"].is_array()) {
    return absl::InvalidArgumentError("policy: expected {\"rules\": [...]}");
  }
  MethodPolicy policy;
  for (size_t i = 0; i < json["rules"].size(); ++i) {
    const nlohmann::json& rule = json["rules"][i];
    const std::string where = absl::StrCat("policy rules[", i, "]");
    if (!rule.is_object() || !rule.contains("methods") || !rule["methods"].is_array() ||
        !rule.contains("roles") || !rule["roles"].is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": needs \"methods\" and \"roles\" arrays"));
    }
    std::set<int> roles;
    for (const auto& name : rule["roles"]) {
      std::optional<Role> role = name.is_string() ? ParseRole(name.get<std::string>()) : std::nullopt;
      if (!role.has_value())
        return absl::InvalidArgumentError(absl::StrCat(where, ": unknown role ", name.dump()));
      roles.insert(*role);
    }
    for (const auto& method : rule["methods"]) {
      const std::string name = method.is_string() ? method.get<std::string>() : "";
      const size_t slash = name.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == name.size() || name[0] == '/') {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": methods are \"pkg.Service/Method\" or \"pkg.Service/*\", got ", method.dump()));
      }
      if (IsDomainServiceMethod(name)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", name,
                                                       ": who may call a domain service's method is declared "
                                                       "in its proto (shouhu.common.v1.allowed_roles), "
                                                       "not in the policy file"));
      }
      policy.roles_[name].insert(roles.begin(), roles.end());
    }
  }
  for (const std::string& service_name : ServicesIn(PublicProtoFiles())) {
    const google::protobuf::ServiceDescriptor* service = FindService(service_name);
    if (service == nullptr || !IsDomainServiceMethod(absl::StrCat(service_name, "/"))) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      policy.domain_role_masks_[absl::StrCat(service_name, "/", service->method(i)->name())] =
          AllowedRoleMask(*service->method(i));
    }
  }
  return policy;
}

absl::StatusOr<std::unique_ptr<PolicyFile>> PolicyFile::Load(const std::string& path) {
  std::unique_ptr<PolicyFile> file(new PolicyFile(path));
  RETURN_IF_ERROR(file->Reload());
  return file;
}

absl::Status PolicyFile::Reload() {
  std::ifstream in(path_);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read the policy file ", path_));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  {
    absl::ReaderMutexLock lock(&mu_);
    if (policy_ != nullptr && text == text_) return absl::OkStatus();
  }
  absl::StatusOr<MethodPolicy> parsed = MethodPolicy::Parse(text);
  if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat(path_, ": ", parsed.status().message()));
  auto policy = std::make_shared<const MethodPolicy>(*std::move(parsed));
  absl::MutexLock lock(&mu_);
  text_ = std::move(text);
  policy_ = std::move(policy);
  return absl::OkStatus();
}

bool PolicyFile::Allows(const Principal& principal, absl::string_view method) const {
  std::shared_ptr<const MethodPolicy> policy;
  {
    absl::ReaderMutexLock lock(&mu_);
    policy = policy_;
  }
  return policy->Allows(principal, method);
}

bool IsDomainServiceMethod(absl::string_view method) {
  if (!method.empty() && method[0] == '/') method.remove_prefix(1);
  const std::string package = PackageOf(absl::StrCat("/", method));
  return !package.empty() && package != "gateway";
}

bool MethodPolicy::Allows(const Principal& principal, absl::string_view method) const {
  if (!method.empty() && method[0] == '/') method.remove_prefix(1);
  if (auto known = domain_role_masks_.find(method); known != domain_role_masks_.end()) {
    return MayCall(principal, known->second);
  }
  // A domain service that is linked in but not public (a test's) is looked up as the call comes.
  if (IsDomainServiceMethod(method)) {
    const google::protobuf::MethodDescriptor* descriptor = FindMethod(method);
    return descriptor != nullptr && MayCall(principal, *descriptor);
  }
  if (!method.empty() && method[0] == '/') method.remove_prefix(1);
  const size_t slash = method.find('/');
  if (slash == absl::string_view::npos) return false;
  auto allowed = [&](absl::string_view key) {
    auto it = roles_.find(key);
    if (it == roles_.end()) return false;
    for (int role : principal.roles()) {
      if (it->second.count(role) > 0) return true;
    }
    return false;
  };
  return allowed(method) || allowed(absl::StrCat(method.substr(0, slash), "/*"));
}

}  // namespace shouhu::gateway
