#include "services/gateway/role_names.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace shouhu::gateway {

std::optional<Role> ParseStoredRole(absl::string_view name) {
  Role role;
  // Role_Parse matches the enum name exactly, letter case included.
  if (!common::v1::Role_Parse(std::string(name), &role) || role == common::v1::ROLE_UNSPECIFIED) {
    return std::nullopt;
  }
  return role;
}

std::optional<Role> ParseRole(absl::string_view name) {
  // "ROLE_ADMIN" would otherwise become ROLE_ROLE_ADMIN and fail anyway; saying so keeps the rule visible.
  if (absl::StartsWith(name, "ROLE_")) return std::nullopt;
  return ParseStoredRole(absl::StrCat("ROLE_", name));
}

bool IsCallerRole(Role role) {
  return role != common::v1::ROLE_UNSPECIFIED && role != common::v1::ROLE_SYSTEM;
}

std::vector<Role> ActingRolesOfStored(const std::vector<std::string>& stored_names) {
  std::vector<Role> roles;
  for (const std::string& name : stored_names) {
    std::optional<Role> role = ParseStoredRole(name);
    if (role.has_value() && IsCallerRole(*role)) roles.push_back(*role);
  }
  return roles;
}

}  // namespace shouhu::gateway
