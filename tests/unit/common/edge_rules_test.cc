// The edge mechanics every service shares: method roles from the protos, the scope rule, paging and the
// text and id checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/method_access.h"
#include "common/paging.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"
#include "shouhu/training/v1/training.grpc.pb.h"
#include "tests/support/status_matchers.h"

namespace shouhu {
namespace {

using common::v1::ROLE_AUDITOR;
using common::v1::ROLE_CIVIL_AFFAIRS_OFFICER;
using common::v1::ROLE_NGO_ADMIN;
using common::v1::ROLE_NGO_CASEWORKER;
using common::v1::ROLE_SYSTEM;
using common::v1::ROLE_TRAINER;
using common::v1::ROLE_VOLUNTEER;
using ::shouhu::testing::StatusIs;
using ::testing::ElementsAre;

Principal Caller(std::initializer_list<Role> roles, std::vector<std::string> jurisdictions,
                 std::string organisation = "org-a") {
  Principal p;
  p.set_subject("someone");
  p.set_organisation_id(std::move(organisation));
  for (Role r : roles) p.add_roles(r);
  for (auto& j : jurisdictions) p.add_jurisdictions(j);
  return p;
}

// Links the service protos' descriptors into this binary (a static library's unreferenced objects are not).
void LinkServiceProtos() {
  (void)registry::v1::GetChildRequest::descriptor();
  (void)training::v1::GetParticipantRequest::descriptor();
}

TEST(MethodAccess, FindMethod_AcceptsEveryWayAMethodIsNamed) {
  LinkServiceProtos();
  for (const char* name :
       {"shouhu.registry.v1.RegistryService/GetChild", "/shouhu.registry.v1.RegistryService/GetChild",
        "shouhu.registry.v1.RegistryService.GetChild"}) {
    const auto* method = FindMethod(name);
    ASSERT_NE(method, nullptr) << name;
    EXPECT_EQ(method->name(), "GetChild");
  }
  EXPECT_EQ(FindMethod("shouhu.registry.v1.RegistryService/NoSuchMethod"), nullptr);
}

TEST(MethodAccess, EveryDomainMethodDeclaresItsRoles) {
  LinkServiceProtos();
  for (const char* name : {registry::v1::RegistryService::service_full_name(),
                           training::v1::TrainingService::service_full_name()}) {
    const auto* service = FindService(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      EXPECT_FALSE(AllowedRoles(*service->method(i)).empty()) << service->method(i)->full_name();
    }
  }
}

TEST(MethodAccess, RolesComeFromTheProto) {
  LinkServiceProtos();
  const auto& get_child = *FindMethod("shouhu.registry.v1.RegistryService/GetChild");
  EXPECT_TRUE(MayCall(Caller({ROLE_CIVIL_AFFAIRS_OFFICER}, {"532329"}), get_child));
  EXPECT_FALSE(MayCall(Caller({ROLE_VOLUNTEER}, {"532329"}), get_child));
  EXPECT_THAT(CheckMayCall(Caller({ROLE_TRAINER}, {"532329"}), get_child),
              StatusIs(absl::StatusCode::kPermissionDenied));
  const auto& access_log = *FindMethod("shouhu.registry.v1.RegistryService/ListAccessLog");
  EXPECT_TRUE(MayCall(Caller({ROLE_AUDITOR}, {"53"}), access_log));
  EXPECT_FALSE(MayCall(Caller({ROLE_CIVIL_AFFAIRS_OFFICER}, {"53"}), access_log));
}

TEST(MethodAccess, ActingForKeepsOnlyTheRolesThatMayCall) {
  LinkServiceProtos();
  const uint64_t get_child = AllowedRoleMask(*FindMethod("shouhu.registry.v1.RegistryService/GetChild"));
  // A trainer's county-wide view lends nothing to a call only the NGO role may make.
  absl::StatusOr<Principal> acting = ActingFor(Caller({ROLE_TRAINER, ROLE_NGO_ADMIN}, {"532329"}), get_child);
  ASSERT_TRUE(acting.ok()) << acting.status();
  EXPECT_THAT(acting->roles(), ElementsAre(ROLE_NGO_ADMIN));
  EXPECT_THAT(ActingFor(Caller({ROLE_TRAINER}, {"532329"}), get_child).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(Scope, JurisdictionAndOrganisation) {
  const RecordScope record{"532329100001", "org-a"};
  EXPECT_TRUE(InScope(Caller({ROLE_NGO_CASEWORKER}, {"532329"}), record));
  EXPECT_FALSE(InScope(Caller({ROLE_NGO_CASEWORKER}, {"532329"}, "org-b"), record));
  EXPECT_TRUE(InScope(Caller({ROLE_CIVIL_AFFAIRS_OFFICER}, {"532329"}, "bureau"), record));
  EXPECT_FALSE(InScope(Caller({ROLE_CIVIL_AFFAIRS_OFFICER}, {"532301"}, "bureau"), record));
  // A system principal still carries a jurisdiction: a service sees only the region it serves.
  EXPECT_FALSE(InScope(Caller({ROLE_SYSTEM}, {"11"}), record));
  EXPECT_TRUE(InScope(Caller({ROLE_SYSTEM}, {"53"}, "service"), record));
  // A broader role beside an NGO role lifts the organisation binding, where that role may call the method:
  // the edge keeps only those roles (ServiceEdge::Admit; registry_edge_test pins it for SearchChildren).
  EXPECT_FALSE(OrganisationBound(Caller({ROLE_NGO_ADMIN, ROLE_TRAINER}, {"53"})));
  EXPECT_TRUE(OrganisationBound(Caller({ROLE_NGO_ADMIN, ROLE_VOLUNTEER}, {"53"})));
  EXPECT_THAT(RequireInScope(Caller({ROLE_NGO_CASEWORKER}, {"532329"}, "org-b"), record, "case"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(Scope, DivisionPrefixOutsideJurisdiction_IsNotFound) {
  const Principal county = Caller({ROLE_CIVIL_AFFAIRS_OFFICER}, {"532329"});
  EXPECT_THAT(ScopedDivisionPrefix(county, "532301"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ScopedDivisionPrefix(county, "53"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::string inside, ScopedDivisionPrefix(county, "532329100"));
  EXPECT_EQ(inside, "532329100");
  ASSERT_OK_AND_ASSIGN(std::string own, ScopedDivisionPrefix(county, ""));
  EXPECT_EQ(own, "532329");
  const auto several = ScopedDivisionPrefix(Caller({ROLE_CIVIL_AFFAIRS_OFFICER}, {"532329", "532301"}), "");
  EXPECT_THAT(several, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(several.status()), "division_prefix");
  EXPECT_THAT(ScopedDivisionPrefix(county, "53x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Scope, AnotherOrganisationInAFilter_IsNotFoundForOrganisationBoundCallers) {
  EXPECT_THAT(ScopedOrganisation(Caller({ROLE_NGO_ADMIN}, {"53"}), "org-b"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::string own, ScopedOrganisation(Caller({ROLE_NGO_ADMIN}, {"53"}), ""));
  EXPECT_EQ(own, "org-a");
  ASSERT_OK_AND_ASSIGN(std::string any, ScopedOrganisation(Caller({ROLE_CIVIL_AFFAIRS_OFFICER}, {"53"}), ""));
  EXPECT_EQ(any, "");
}

TEST(Scope, OrganisationBoundCallerWithoutOrganisation_SeesNothing) {
  for (Role role : {ROLE_NGO_CASEWORKER, ROLE_NGO_ADMIN, ROLE_VOLUNTEER}) {
    const Principal no_organisation = Caller({role}, {"532329"}, "");
    // Not every organisation's records through an empty filter, nor the records that name no organisation.
    EXPECT_THAT(ScopedOrganisation(no_organisation, ""), StatusIs(absl::StatusCode::kNotFound));
    EXPECT_FALSE(InScope(no_organisation, {"532329100001", ""}));
    EXPECT_FALSE(InScope(no_organisation, {"532329100001", "org-a"}));
  }
  // A caller who sees the whole jurisdiction needs no organisation.
  ASSERT_OK_AND_ASSIGN(std::string any,
                       ScopedOrganisation(Caller({ROLE_CIVIL_AFFAIRS_OFFICER}, {"53"}, ""), ""));
  EXPECT_EQ(any, "");
  EXPECT_TRUE(InScope(Caller({ROLE_CIVIL_AFFAIRS_OFFICER}, {"53"}, ""), {"532329100001", ""}));
}

TEST(Paging, SizeAndToken) {
  ASSERT_OK_AND_ASSIGN(PageRequest defaults, ReadPageRequest(0, ""));
  EXPECT_EQ(defaults.limit, kDefaultPageSize);
  ASSERT_OK_AND_ASSIGN(PageRequest capped, ReadPageRequest(100000, ""));
  EXPECT_EQ(capped.limit, kMaxPageSize);
  auto negative = ReadPageRequest(-1, "");
  EXPECT_THAT(negative, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(negative.status()), "page_size");
  auto forged = ReadPageRequest(10, "' OR 1=1 --");
  EXPECT_THAT(forged, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(forged.status()), "page_token");
  const std::vector<std::string> full = {"a", "b"}, short_page = {"a"};
  auto id = [](const std::string& s) { return s; };
  EXPECT_EQ(NextPageToken(full, 2, id), "b");
  EXPECT_EQ(NextPageToken(short_page, 2, id), "");
}

TEST(Validation, MeaningfulText_RefusesOnlySpaces) {
  for (const char* blank : {"", " ", "   \t ", "\xE3\x80\x80", " \xE3\x80\x80 "}) {
    auto status = ValidateMeaningfulText(blank, "purpose", 255);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << "'" << blank << "'";
    EXPECT_EQ(FieldOf(status), "purpose");
  }
  EXPECT_OK(ValidateMeaningfulText("家访前核实", "purpose", 255));
}

TEST(Validation, EnumsAndIds) {
  auto valid = [](int v) { return v >= 0 && v <= 3; };
  EXPECT_THAT(ValidateRequiredEnum(0, valid, "risk_level"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRequiredEnum(9, valid, "risk_level"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(ValidateRequiredEnum(2, valid, "risk_level"));
  EXPECT_OK(ValidateEnumFilter(0, valid, "status"));
  EXPECT_THAT(ValidateEnumFilter(7, valid, "status"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRecordId("", "case_id"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRecordId("not an id", "case_id"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateIdentifier("has space", "organisation_id", 64),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(ValidateOptionalIdentifier("", "organisation_id", 64));
}

}  // namespace
}  // namespace shouhu
