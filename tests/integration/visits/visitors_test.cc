// Visitors and the overdue list, against real MariaDB over loopback gRPC: registration is idempotent and
// validated field by field, and every read is scoped (outside the caller's scope: NOT_FOUND).
#include "tests/integration/visits/visits_fixture.h"

namespace shouhu::visits::testing {
namespace {

using ::shouhu::testing::StatusIs;

class VisitorsTest : public VisitsTest {
 protected:
  absl::StatusOr<v1::Visitor> Get(const Principal& as, const std::string& visitor_id) {
    v1::GetVisitorRequest request;
    request.set_visitor_id(visitor_id);
    v1::GetVisitorResponse response;
    auto context = principals_.Context(as);
    grpc::Status status = visits_stub_->GetVisitor(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response.visitor();
  }

  absl::StatusOr<v1::ListOverdueVisitsResponse> Overdue(const Principal& as, int page_size = 0,
                                                        const std::string& page_token = "") {
    v1::ListOverdueVisitsRequest request;
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    v1::ListOverdueVisitsResponse response;
    auto context = principals_.Context(as);
    grpc::Status status = visits_stub_->ListOverdueVisits(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  int64_t Visitors() { return visits_database_->Count("visitors"); }
};

TEST_F(VisitorsTest, RegisterVisitor_RetriedWithSameRequestId_ReturnsFirstAnswerAndWritesOnce) {
  const v1::RegisterVisitorRequest request = Registration("reg-1");
  ASSERT_OK_AND_ASSIGN(v1::Visitor first, Register(wuding_ngo_admin_, request));
  ASSERT_OK_AND_ASSIGN(v1::Visitor again, Register(wuding_ngo_admin_, request));
  EXPECT_EQ(again.visitor_id(), first.visitor_id());
  EXPECT_EQ(first.participant_id(), request.visitor().participant_id());
  EXPECT_EQ(first.daily_capacity(), 4);
  EXPECT_TRUE(first.available_saturday());
  EXPECT_FALSE(first.available_sunday());
  EXPECT_EQ(Visitors(), 1);

  v1::RegisterVisitorRequest changed = request;
  changed.mutable_visitor()->set_daily_capacity(5);
  EXPECT_THAT(Register(wuding_ngo_admin_, changed), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Visitors(), 1);
}

TEST_F(VisitorsTest, RegisterVisitor_SameParticipantUnderNewRequestId_AlreadyExists) {
  v1::RegisterVisitorRequest request = Registration("reg-1");
  ASSERT_OK(Register(wuding_ngo_admin_, request));
  request.set_request_id("reg-2");
  EXPECT_THAT(Register(wuding_ngo_admin_, request), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Visitors(), 1);
}

TEST_F(VisitorsTest, RegisterVisitor_BadField_InvalidArgumentNamingItAndNothingWritten) {
  struct Case {
    std::string field;
    std::function<void(v1::RegisterVisitorRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"visitor", [](auto& r) { r.clear_visitor(); }},
      {"visitor.visitor_id",
       [](auto& r) { r.mutable_visitor()->set_visitor_id("01J9ZZZZZZZZZZZZZZZZZZZZZZ"); }},
      {"visitor.participant_id", [](auto& r) { r.mutable_visitor()->set_participant_id("not an id"); }},
      {"visitor.organisation_id", [](auto& r) { r.mutable_visitor()->clear_organisation_id(); }},
      {"visitor.home_village_code", [](auto& r) { r.mutable_visitor()->set_home_village_code("532329"); }},
      {"visitor.home_village_code",
       [](auto& r) { r.mutable_visitor()->set_home_village_code("53232910100x"); }},
      {"visitor.daily_capacity", [](auto& r) { r.mutable_visitor()->set_daily_capacity(0); }},
      {"visitor.daily_capacity", [](auto& r) { r.mutable_visitor()->set_daily_capacity(21); }},
  };
  for (const Case& c : cases) {
    v1::RegisterVisitorRequest request = Registration("bad-" + c.field);
    c.spoil(request);
    absl::StatusOr<v1::Visitor> result = Register(wuding_ngo_admin_, request);
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_THAT(result.status().message(), ::testing::HasSubstr(c.field)) << c.field;
  }
  EXPECT_EQ(Visitors(), 0);
}

TEST_F(VisitorsTest, Visitor_OutsideCallersScope_NotFound) {
  EXPECT_THAT(Register(xixia_officer_, Registration("reg-x")), StatusIs(absl::StatusCode::kNotFound));
  v1::RegisterVisitorRequest other_org = Registration("reg-o");
  other_org.mutable_visitor()->set_organisation_id("ngo-other");
  EXPECT_THAT(Register(wuding_ngo_admin_, other_org), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Visitors(), 0);

  ASSERT_OK_AND_ASSIGN(v1::Visitor v, Register(wuding_ngo_admin_, Registration("reg-1")));
  ASSERT_OK(Get(wuding_officer_, v.visitor_id()));
  ASSERT_OK(Get(wuding_caseworker_, v.visitor_id()));
  EXPECT_THAT(Get(xixia_officer_, v.visitor_id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Get(other_ngo_caseworker_, v.visitor_id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Get(wuding_officer_, visits_ids_->Next()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(VisitorsTest, ListOverdueVisits_AfterTheDueDay_ListsOpenCasesInScopeByPage) {
  const rv1::Case a = RegisterChild("1", "李娜");
  const rv1::Case b = RegisterChild("2", "张伟", registry::testing::kWudingVillage2);
  const rv1::Case c = RegisterChild("3", "王芳");
  const rv1::Case closed = RegisterChild("4", "赵磊");
  const rv1::Case elsewhere = RegisterChild("5", "马军", registry::testing::kXixiaVillage);
  auto close = rv1::CloseCaseRequest();
  close.set_request_id("close-4");
  close.set_case_id(closed.case_id());
  close.set_reason("父母返乡，监护恢复");
  ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  AwaitRegistryEvents();

  ASSERT_OK_AND_ASSIGN(v1::ListOverdueVisitsResponse none, Overdue(wuding_officer_));
  EXPECT_EQ(none.plans_size(), 0);  // verification visits are due days after acceptance

  visits_clock_.Advance(absl::Hours(24 * 15));  // past every risk level's verification days
  ASSERT_OK_AND_ASSIGN(v1::ListOverdueVisitsResponse first, Overdue(wuding_officer_, 2));
  ASSERT_EQ(first.plans_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  ASSERT_OK_AND_ASSIGN(v1::ListOverdueVisitsResponse second,
                       Overdue(wuding_officer_, 2, first.next_page_token()));
  ASSERT_EQ(second.plans_size(), 1);
  EXPECT_TRUE(second.next_page_token().empty());
  std::vector<std::string> listed;
  for (const auto* page : {&first, &second}) {
    for (const v1::VisitPlan& plan : page->plans()) {
      listed.push_back(plan.case_id());
      ASSERT_TRUE(plan.has_next_visit());
      EXPECT_GT(plan.next_visit().overdue_days(), 0);
    }
  }
  std::vector<std::string> expected = {a.case_id(), b.case_id(), c.case_id()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(listed, expected);

  ASSERT_OK_AND_ASSIGN(v1::ListOverdueVisitsResponse xixia, Overdue(xixia_officer_));
  ASSERT_EQ(xixia.plans_size(), 1);
  EXPECT_EQ(xixia.plans(0).case_id(), elsewhere.case_id());
  ASSERT_OK_AND_ASSIGN(v1::ListOverdueVisitsResponse other_ngo, Overdue(other_ngo_caseworker_));
  EXPECT_EQ(other_ngo.plans_size(), 0);
}

}  // namespace
}  // namespace shouhu::visits::testing
