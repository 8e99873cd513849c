// The role names the gateway accepts: exactly the canonical ones, nothing that merely resembles them.
#include "services/gateway/role_names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shouhu::gateway {
namespace {

TEST(ParseRole, EveryCanonicalName_IsItsRole) {
  for (int i = common::v1::Role_MIN; i <= common::v1::Role_MAX; ++i) {
    if (!common::v1::Role_IsValid(i) || i == common::v1::ROLE_UNSPECIFIED) continue;
    const auto role = static_cast<Role>(i);
    const std::string canonical = common::v1::Role_Name(role).substr(5);  // without ROLE_
    EXPECT_EQ(ParseRole(canonical), role) << canonical;
    EXPECT_EQ(ParseStoredRole(common::v1::Role_Name(role)), role);
  }
}

TEST(ParseRole, LooseSpellings_AreNoRole) {
  for (const char* name :
       {"admin", "Admin", "aDMIN", "role_admin", "ROLE_ADMIN", "Role_Admin", " ADMIN", "ADMIN ", "ADMIN\n",
        "ADMINS", "ADM", "", "UNSPECIFIED", "ROLE_UNSPECIFIED", "civil_affairs_officer",
        "CIVIL-AFFAIRS-OFFICER", "CIVIL AFFAIRS OFFICER", "10", "ROLE_ROLE_ADMIN"}) {
    EXPECT_EQ(ParseRole(name), std::nullopt) << '"' << name << '"';
  }
}

TEST(ParseStoredRole, OnlyTheFullEnumName) {
  EXPECT_EQ(ParseStoredRole("ROLE_NGO_ADMIN"), common::v1::ROLE_NGO_ADMIN);
  for (const char* name : {"NGO_ADMIN", "role_ngo_admin", "ROLE_Ngo_Admin", "ROLE_UNSPECIFIED", "3", ""}) {
    EXPECT_EQ(ParseStoredRole(name), std::nullopt) << '"' << name << '"';
  }
}

TEST(IsCallerRole, EveryRoleButSystemAndUnspecified) {
  EXPECT_FALSE(IsCallerRole(common::v1::ROLE_SYSTEM));
  EXPECT_FALSE(IsCallerRole(common::v1::ROLE_UNSPECIFIED));
  EXPECT_TRUE(IsCallerRole(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER));
  EXPECT_TRUE(IsCallerRole(common::v1::ROLE_ADMIN));
}

TEST(ActingRolesOfStored, CallerRolesInTheirOrder_WithoutSystemOrNamesThatAreNoRole) {
  EXPECT_EQ(ActingRolesOfStored({"ROLE_NGO_ADMIN", "ROLE_SYSTEM", "NGO_CASEWORKER", "ROLE_UNSPECIFIED",
                                 "ROLE_CIVIL_AFFAIRS_OFFICER"}),
            (std::vector<Role>{common::v1::ROLE_NGO_ADMIN, common::v1::ROLE_CIVIL_AFFAIRS_OFFICER}));
  EXPECT_TRUE(ActingRolesOfStored({"ROLE_SYSTEM"}).empty());
  EXPECT_TRUE(ActingRolesOfStored({}).empty());
}

}  // namespace
}  // namespace shouhu::gateway
