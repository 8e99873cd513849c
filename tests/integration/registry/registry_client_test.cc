// RegistryClient against the real registry on a TestServer, as visits and allowance will call it: for a
// caller (their scope, their access-log rows) or as a service's own system principal; a service's key
// signing a person is refused.
#include "services/registry/registry_client.h"

#include "tests/integration/registry/registry_fixture.h"
#include "tests/support/test_keys.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using ::shouhu::testing::TestPrincipals;
using ::shouhu::testing::TestServiceKey;

class RegistryClientTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure()) return;
    channel_ = std::make_unique<ServiceChannel>(server_->channel());
    client_ = std::make_unique<GrpcRegistryClient>(*channel_);
  }

  std::unique_ptr<ServiceChannel> channel_;
  std::unique_ptr<RegistryClient> client_;
};

TEST_F(RegistryClientTest, GetCaseAndChild_ForACaller_AnswerWithinTheCallersScope) {
  const v1::Case registered = RegisterChild("client-1", "张小雨");
  ASSERT_OK_AND_ASSIGN(
      v1::Case got, client_->GetCase(principals_.As(wuding_officer_), registered.case_id(), "case review"));
  EXPECT_EQ(got.child_id(), registered.child_id());
  ASSERT_OK_AND_ASSIGN(v1::Child child, client_->GetChild(principals_.As(wuding_officer_),
                                                          registered.child_id(), "home visit"));
  EXPECT_EQ(child.name(), "张小雨");
  // Another county's officer: the record does not exist for them.
  EXPECT_THAT(client_->GetCase(principals_.As(xixia_officer_), registered.case_id(), "case review"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(client_->GetChild(principals_.As(xixia_officer_), registered.child_id(), "home visit"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(client_->GetCase(principals_.As(wuding_officer_), "01JCZZZZZZZZZZZZZZZZZZZZZZ", "case review"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RegistryClientTest, GetChild_ForACaller_WritesTheAccessLogUnderTheCaller) {
  const v1::Case registered = RegisterChild("client-2", "李小明");
  const int64_t before = Count(kAccessLogEntries + " WHERE subject = 'officer-wuding'");
  ASSERT_OK(client_->GetChild(principals_.As(wuding_officer_), registered.child_id(), "allowance review"));
  EXPECT_EQ(Count(kAccessLogEntries + " WHERE subject = 'officer-wuding'"), before + 1);
  EXPECT_EQ(Count(kAccessLogEntries + " WHERE purpose = 'allowance review' AND subject = 'officer-wuding'"),
            1);
}

TEST_F(RegistryClientTest, GetCase_AsTheServiceItself_ReadsWithItsSystemPrincipal) {
  const v1::Case registered = RegisterChild("client-3", "王小花");
  const ServiceIdentity visits("visits", TestServiceKey("visits"), clock_, {"532329"});
  ASSERT_OK_AND_ASSIGN(v1::Case got, client_->GetCase(visits.ForSelf(), registered.case_id(), "case review"));
  EXPECT_EQ(got.case_id(), registered.case_id());
}

TEST_F(RegistryClientTest, ServiceKeySigningAPerson_IsUnauthenticated) {
  const v1::Case registered = RegisterChild("client-4", "赵小军");
  const int64_t logged = Count(kAccessLogEntries);
  const TestPrincipals as_visits(clock_, TestServiceKey("visits"));
  EXPECT_THAT(client_->GetCase(as_visits.As(wuding_officer_), registered.case_id(), "case review"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(client_->GetChild(as_visits.As(auditor_), registered.child_id(), "audit"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // Nor as another service, nor with an extra role beside SYSTEM.
  Principal registry_itself = shouhu::testing::SystemPrincipal("registry");
  registry_itself.add_jurisdictions("532329");
  EXPECT_THAT(client_->GetCase(as_visits.As(registry_itself), registered.case_id(), "case review"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Principal widened = shouhu::testing::SystemPrincipal("visits");
  widened.add_roles(common::v1::ROLE_AUDITOR);
  widened.add_jurisdictions("532329");
  EXPECT_THAT(client_->GetChild(as_visits.As(widened), registered.child_id(), "audit"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(Count(kAccessLogEntries), logged);
}

}  // namespace
}  // namespace shouhu::registry::testing
