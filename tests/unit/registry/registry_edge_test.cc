// The registry's edge against the in-memory store (no database): every method authenticates first, then
// checks the roles its proto declares, validates naming the field with nothing written, and answers
// NOT_FOUND for a record outside the caller's scope.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/call_workers.h"
#include "common/grpc_status.h"
#include "common/ids.h"
#include "common/method_access.h"
#include "services/registry/registry_service.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"
#include "tests/support/in_memory_registry_store.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::MakePrincipal;
using Stub = v1::RegistryService::Stub;
using Call = std::function<grpc::Status(Stub&, grpc::ClientContext*)>;

constexpr char kWudingVillage[] = "532329101001";
constexpr char kXixiaVillage[] = "640105001002";

template <typename Request, typename Response>
Call Unary(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*), Request request) {
  return [method, request](Stub& stub, grpc::ClientContext* context) {
    Response response;
    return (stub.*method)(context, request, &response);
  };
}

Call Stream(v1::StreamEventsRequest request) {
  return [request](Stub& stub, grpc::ClientContext* context) {
    // An admitted follower waits at the tail for new events: a second is enough to tell it from a refusal,
    // which comes at once.
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    auto reader = stub.StreamEvents(context, request);
    v1::StreamEventsResponse response;
    while (reader->Read(&response)) {
    }
    return reader->Finish();
  };
}

std::set<std::string> AllMethods() {
  std::set<std::string> names;
  const auto* service = FindService(v1::RegistryService::service_full_name());
  for (int i = 0; i < service->method_count(); ++i) names.insert(service->method(i)->name());
  return names;
}

v1::Division Village(const std::string& code, const std::string& name) {
  v1::Division d;
  d.set_code(code);
  d.set_name(name);
  d.set_level(v1::DIVISION_LEVEL_VILLAGE);
  d.set_parent_code(code.substr(0, 9));
  return d;
}

v1::SubmitReferralRequest Submission(const std::string& request_id,
                                     const std::string& village = kWudingVillage) {
  v1::SubmitReferralRequest r;
  r.set_request_id(request_id);
  r.set_source(v1::REFERRAL_SOURCE_NGO);
  r.mutable_child()->set_name("李娜");
  r.mutable_child()->set_sex(v1::SEX_FEMALE);
  r.mutable_child()->set_birth_date("2016-04-05");
  r.mutable_household()->set_village_code(village);
  auto* g = r.add_guardians();
  g->set_name("王秀英");
  g->set_relationship(v1::GUARDIAN_RELATIONSHIP_GRANDPARENT);
  g->set_status(v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  r.add_categories(v1::CHILD_CATEGORY_LEFT_BEHIND);
  r.set_reason("父母外出务工");
  r.set_observed_risk(v1::RISK_LEVEL_MEDIUM);
  return r;
}

class RegistryEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.AddDivision(Village(kWudingVillage, "东岳社区"));
    store_.AddDivision(Village(kXixiaVillage, "康庄社区"));
    // One pending referral, and one child with an open case, both Wuding's and ngo-wuding's.
    v1::SubmitReferralResponse pending;
    auto submit = principals_.Context(wuding_caseworker_);
    ASSERT_TRUE(stub_->SubmitReferral(submit.get(), Submission("seed-1"), &pending).ok());
    referral_id_ = pending.referral().referral_id();
    v1::SubmitReferralResponse second;
    auto context = principals_.Context(wuding_caseworker_);
    ASSERT_TRUE(stub_->SubmitReferral(context.get(), Submission("seed-2"), &second).ok());
    v1::AcceptReferralRequest accept;
    accept.set_request_id("seed-accept");
    accept.set_referral_id(second.referral().referral_id());
    accept.set_organisation_id("ngo-wuding");
    accept.set_caseworker_id("caseworker-1");
    accept.set_risk_level(v1::RISK_LEVEL_HIGH);
    v1::AcceptReferralResponse accepted;
    context = principals_.Context(wuding_officer_);
    ASSERT_TRUE(stub_->AcceptReferral(context.get(), accept, &accepted).ok());
    case_id_ = accepted.case_().case_id();
    child_id_ = accepted.case_().child_id();
  }

  grpc::Status Run(const Call& call, const Principal* as) {
    std::unique_ptr<grpc::ClientContext> context;
    if (as != nullptr) {
      context = principals_.Context(*as);
    } else {
      context = std::make_unique<grpc::ClientContext>();
      context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    }
    return call(*stub_, context.get());
  }

  // Where RaceAGiveUp holds its two reads: the log (a slow commit) or the page's SELECT.
  enum class HeldAt { kTheLog, kThePageRead };

  // Two callers make the same read while it is held at `held`: the first gives up (its deadline passes), the
  // second waits. Released, the second is logged for the `shown(answer)` records it was shown, and the first
  // for nothing.
  template <typename Request, typename Response, typename Shown>
  void RaceAGiveUp(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const Request& request, HeldAt held, Shown shown) {
    if (held == HeldAt::kTheLog) {
      store_.HoldAccessLog();
    } else {
      store_.HoldPageReads();
    }
    const size_t logged_before = store_.access_log_entries();
    grpc::Status gave_up, waited;
    Response answered;
    std::thread impatient([&] {
      auto context = principals_.Context(wuding_officer_);
      context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
      Response ignored;
      gave_up = ((*stub_).*method)(context.get(), request, &ignored);
    });
    std::thread patient([&] {
      auto context = principals_.Context(wuding_officer_);
      waited = ((*stub_).*method)(context.get(), request, &answered);
    });
    if (held == HeldAt::kTheLog) {
      store_.AwaitHeldReads(2);
      EXPECT_EQ(store_.held_reads(), 2u) << "a read did not reach the held log";
    } else {
      store_.AwaitHeldPageReads(2);
    }
    impatient.join();  // its deadline passed while its read was held
    EXPECT_EQ(gave_up.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << gave_up.error_message();
    // The server's deadline is the timeout counted from the call's arrival, a little after the client's: let
    // it pass too (half a second is far more than the transit).
    absl::SleepFor(absl::Milliseconds(500));
    if (held == HeldAt::kTheLog) {
      store_.ReleaseAccessLog();
    } else {
      store_.ReleasePageReads();
    }
    patient.join();
    ASSERT_TRUE(waited.ok()) << waited.error_message();
    const size_t records = static_cast<size_t>(shown(answered));
    ASSERT_GT(records, 0u) << "the read showed nothing: the log would not grow either way";
    EXPECT_EQ(store_.access_log_entries(), logged_before + records);
  }

  // What has been written, to compare before and after a refused call.
  std::vector<size_t> Written() const {
    return {store_.referrals(), store_.children(), store_.cases(), store_.idempotency_records(),
            store_.access_log_entries()};
  }

  template <typename Request>
  Request WithCase(const std::string& request_id) const {
    Request r;
    r.set_request_id(request_id);
    r.set_case_id(case_id_);
    return r;
  }

  // Every method with an empty request.
  std::map<std::string, Call> EmptyCalls() const {
    return {
        {"GetDivision", Unary(&Stub::GetDivision, v1::GetDivisionRequest())},
        {"ListChildDivisions", Unary(&Stub::ListChildDivisions, v1::ListChildDivisionsRequest())},
        {"SubmitReferral", Unary(&Stub::SubmitReferral, v1::SubmitReferralRequest())},
        {"GetReferral", Unary(&Stub::GetReferral, v1::GetReferralRequest())},
        {"ListReferrals", Unary(&Stub::ListReferrals, v1::ListReferralsRequest())},
        {"AcceptReferral", Unary(&Stub::AcceptReferral, v1::AcceptReferralRequest())},
        {"RejectReferral", Unary(&Stub::RejectReferral, v1::RejectReferralRequest())},
        {"TransferReferral", Unary(&Stub::TransferReferral, v1::TransferReferralRequest())},
        {"GetCase", Unary(&Stub::GetCase, v1::GetCaseRequest())},
        {"CompleteVerification", Unary(&Stub::CompleteVerification, v1::CompleteVerificationRequest())},
        {"TransferCase", Unary(&Stub::TransferCase, v1::TransferCaseRequest())},
        {"ChangeCareArrangement", Unary(&Stub::ChangeCareArrangement, v1::ChangeCareArrangementRequest())},
        {"SetRiskLevel", Unary(&Stub::SetRiskLevel, v1::SetRiskLevelRequest())},
        {"MoveHousehold", Unary(&Stub::MoveHousehold, v1::MoveHouseholdRequest())},
        {"CloseCase", Unary(&Stub::CloseCase, v1::CloseCaseRequest())},
        {"ReopenCase", Unary(&Stub::ReopenCase, v1::ReopenCaseRequest())},
        {"GetChild", Unary(&Stub::GetChild, v1::GetChildRequest())},
        {"SearchChildren", Unary(&Stub::SearchChildren, v1::SearchChildrenRequest())},
        {"GetStatistics", Unary(&Stub::GetStatistics, v1::GetStatisticsRequest())},
        {"ListAccessLog", Unary(&Stub::ListAccessLog, v1::ListAccessLogRequest())},
        {"RecordAccess", Unary(&Stub::RecordAccess, v1::RecordAccessRequest())},
        {"StreamEvents", Stream(v1::StreamEventsRequest())},
    };
  }

  SystemClock clock_;
  IdGenerator ids_{clock_};
  InMemoryRegistryStore store_{clock_, ids_};
  CallWorkers workers_{4};
  PrincipalVerifier verifier_{shouhu::testing::TestTrustedKeys(), clock_};
  RegistryService service_{store_, verifier_, clock_, workers_};
  shouhu::testing::TestServer server_{{{&service_, "shouhu.registry.v1.RegistryService"}}};
  std::unique_ptr<Stub> stub_ = v1::RegistryService::NewStub(server_.channel());
  shouhu::testing::TestPrincipals principals_{clock_};
  std::string referral_id_, case_id_, child_id_;

  const Principal wuding_officer_ =
      MakePrincipal("officer-wuding", "wuding-ca", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  const Principal xixia_officer_ =
      MakePrincipal("officer-xixia", "xixia-ca", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"640105"});
  const Principal wuding_caseworker_ =
      MakePrincipal("caseworker-1", "ngo-wuding", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal other_ngo_caseworker_ =
      MakePrincipal("caseworker-2", "ngo-other", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal auditor_ = MakePrincipal("auditor-1", "audit", common::v1::ROLE_AUDITOR, {"53"});
  const Principal system_ = MakePrincipal("visits", "system", common::v1::ROLE_SYSTEM, {"53"});
};

TEST_F(RegistryEdgeTest, EveryMethod_Unsigned_IsUnauthenticatedAndWritesNothing) {
  const auto calls = EmptyCalls();
  std::set<std::string> covered;
  for (const auto& [name, call] : calls) covered.insert(name);
  ASSERT_EQ(covered, AllMethods());
  const auto before = Written();
  for (const auto& [name, call] : calls) {
    EXPECT_EQ(Run(call, nullptr).error_code(), grpc::StatusCode::UNAUTHENTICATED) << name;
  }
  EXPECT_EQ(Written(), before);
}

TEST_F(RegistryEdgeTest, EveryMethodAndRole_RolesComeFromTheProtoAndPrecedeValidation) {
  const auto* service = FindService(v1::RegistryService::service_full_name());
  for (const auto& [name, call] : EmptyCalls()) {
    const auto* method = service->FindMethodByName(name);
    ASSERT_NE(method, nullptr) << name;
    for (int role = common::v1::Role_MIN; role <= common::v1::Role_MAX; ++role) {
      if (role == common::v1::ROLE_UNSPECIFIED || !common::v1::Role_IsValid(role)) continue;
      const Principal caller = MakePrincipal("someone", "ngo-wuding", static_cast<Role>(role), {"532329"});
      const grpc::StatusCode code = Run(call, &caller).error_code();
      if (MayCall(caller, *method)) {
        EXPECT_NE(code, grpc::StatusCode::PERMISSION_DENIED) << name << " " << common::v1::Role_Name(role);
        EXPECT_NE(code, grpc::StatusCode::UNAUTHENTICATED) << name << " " << common::v1::Role_Name(role);
      } else {
        // An empty request is refused for the role, not for its missing fields.
        EXPECT_EQ(code, grpc::StatusCode::PERMISSION_DENIED) << name << " " << common::v1::Role_Name(role);
      }
    }
  }
}

TEST_F(RegistryEdgeTest, EveryScopedMethod_OutOfScopeCaller_IsNotFoundAndWritesNothing) {
  // Other county: the right role, another jurisdiction. Other organisation: an NGO of the same county that
  // does not hold the record. Null where a method has no such dimension.
  struct Row {
    Call other_county;
    Call other_organisation;
    const Principal* county_caller = nullptr;  // the Xixia officer unless the method wants another role
  };
  v1::SubmitReferralRequest submit = Submission("oos-submit");
  v1::GetReferralRequest get_referral;
  get_referral.set_referral_id(referral_id_);
  v1::ListReferralsRequest list_referrals;
  list_referrals.set_division_prefix("532329");
  const auto accept = [&](const std::string& organisation) {
    v1::AcceptReferralRequest r;
    r.set_request_id("oos-accept");
    r.set_referral_id(referral_id_);
    r.set_organisation_id(organisation);
    r.set_caseworker_id("someone");
    r.set_risk_level(v1::RISK_LEVEL_LOW);
    return Unary(&Stub::AcceptReferral, r);
  };
  v1::RejectReferralRequest reject;
  reject.set_request_id("oos-reject");
  reject.set_referral_id(referral_id_);
  reject.set_reason("不符合");
  v1::TransferReferralRequest transfer_referral;
  transfer_referral.set_request_id("oos-transfer");
  transfer_referral.set_referral_id(referral_id_);
  transfer_referral.set_to_organisation_id("ngo-somewhere");
  transfer_referral.set_reason("就近");
  v1::GetCaseRequest get_case;
  get_case.set_purpose("case review");
  get_case.set_case_id(case_id_);
  auto transfer_case = WithCase<v1::TransferCaseRequest>("oos-tc");
  transfer_case.set_to_organisation_id("ngo-somewhere");
  transfer_case.set_to_caseworker_id("cw-9");
  transfer_case.set_reason("就近");
  auto care = WithCase<v1::ChangeCareArrangementRequest>("oos-care");
  care.mutable_care_arrangement()->set_type(v1::CARE_ARRANGEMENT_TYPE_KINSHIP_CAREGIVER);
  care.mutable_care_arrangement()->set_caregiver("王秀英");
  care.set_reason("祖母照护");
  auto risk = WithCase<v1::SetRiskLevelRequest>("oos-risk");
  risk.set_risk_level(v1::RISK_LEVEL_EXTREME);
  risk.set_reason("独居");
  // Each in a village of the caller's own jurisdiction: the case is what is out of scope.
  auto move_to = [&](const std::string& village) {
    auto move = WithCase<v1::MoveHouseholdRequest>("oos-move");
    move.mutable_household()->set_village_code(village);
    move.mutable_household()->set_address_detail("新村5组8号");
    move.set_reason("随祖母搬家");
    return move;
  };
  auto close = WithCase<v1::CloseCaseRequest>("oos-close");
  close.set_reason("监护恢复");
  auto reopen = WithCase<v1::ReopenCaseRequest>("oos-reopen");
  reopen.set_reason("再次外出");
  v1::GetChildRequest get_child;
  get_child.set_child_id(child_id_);
  get_child.set_purpose("家访准备");
  v1::SearchChildrenRequest search_county;
  search_county.set_division_prefix("532329");
  search_county.set_purpose("月度回顾");
  v1::SearchChildrenRequest search_organisation;
  search_organisation.set_organisation_id("ngo-wuding");
  search_organisation.set_purpose("月度回顾");
  v1::GetStatisticsRequest statistics;
  statistics.set_division_prefix("532329");
  v1::ListAccessLogRequest access_log;
  access_log.set_division_prefix("53");
  const Principal ningxia_auditor = MakePrincipal("auditor-64", "audit", common::v1::ROLE_AUDITOR, {"64"});

  const std::map<std::string, Row> table = {
      // Any NGO may refer a child of its own county: the scope of a submission is the jurisdiction.
      {"SubmitReferral", {Unary(&Stub::SubmitReferral, submit), nullptr}},
      {"GetReferral", {Unary(&Stub::GetReferral, get_referral), Unary(&Stub::GetReferral, get_referral)}},
      // An organisation-bound caller's list is filtered to its own organisation: nothing names another.
      {"ListReferrals", {Unary(&Stub::ListReferrals, list_referrals), nullptr}},
      {"AcceptReferral", {accept("xixia-ca"), accept("ngo-other")}},
      {"RejectReferral", {Unary(&Stub::RejectReferral, reject), Unary(&Stub::RejectReferral, reject)}},
      {"TransferReferral",
       {Unary(&Stub::TransferReferral, transfer_referral),
        Unary(&Stub::TransferReferral, transfer_referral)}},
      {"GetCase", {Unary(&Stub::GetCase, get_case), Unary(&Stub::GetCase, get_case)}},
      {"CompleteVerification",
       {Unary(&Stub::CompleteVerification, WithCase<v1::CompleteVerificationRequest>("oos-verify")),
        Unary(&Stub::CompleteVerification, WithCase<v1::CompleteVerificationRequest>("oos-verify"))}},
      {"TransferCase", {Unary(&Stub::TransferCase, transfer_case), nullptr}},
      {"ChangeCareArrangement", {Unary(&Stub::ChangeCareArrangement, care), nullptr}},
      {"SetRiskLevel", {Unary(&Stub::SetRiskLevel, risk), Unary(&Stub::SetRiskLevel, risk)}},
      {"MoveHousehold",
       {Unary(&Stub::MoveHousehold, move_to(kXixiaVillage)),
        Unary(&Stub::MoveHousehold, move_to(kWudingVillage))}},
      {"CloseCase", {Unary(&Stub::CloseCase, close), nullptr}},
      {"ReopenCase", {Unary(&Stub::ReopenCase, reopen), nullptr}},  // the four above: the county's alone
      {"GetChild", {Unary(&Stub::GetChild, get_child), Unary(&Stub::GetChild, get_child)}},
      {"SearchChildren",
       {Unary(&Stub::SearchChildren, search_county), Unary(&Stub::SearchChildren, search_organisation)}},
      // Counts carry no personal data; NGO caseworkers may not call it at all.
      {"GetStatistics", {Unary(&Stub::GetStatistics, statistics), nullptr}},
      {"ListAccessLog", {Unary(&Stub::ListAccessLog, access_log), nullptr, &ningxia_auditor}},
  };
  // Not row-scoped, on purpose: the national division table is public reference data (GB/T 2260); the
  // access log is the auditor's and is listed within their own jurisdiction only; events carry ids for the
  // services that follow them.
  // RecordAccess is the services' own, and checks each village against the service's jurisdiction.
  const std::set<std::string> unscoped = {"GetDivision", "ListChildDivisions", "ListAccessLog",
                                          "StreamEvents", "RecordAccess"};
  std::set<std::string> covered = unscoped;
  for (const auto& [name, row] : table) covered.insert(name);
  ASSERT_EQ(covered, AllMethods());

  const auto before = Written();
  const auto* service = FindService(v1::RegistryService::service_full_name());
  for (const auto& [name, row] : table) {
    const Principal& county_caller = row.county_caller ? *row.county_caller : xixia_officer_;
    ASSERT_TRUE(MayCall(county_caller, *service->FindMethodByName(name))) << name;
    EXPECT_EQ(Run(row.other_county, &county_caller).error_code(), grpc::StatusCode::NOT_FOUND)
        << name << " from another county";
    if (row.other_organisation) {
      ASSERT_TRUE(MayCall(other_ngo_caseworker_, *service->FindMethodByName(name))) << name;
      EXPECT_EQ(Run(row.other_organisation, &other_ngo_caseworker_).error_code(), grpc::StatusCode::NOT_FOUND)
          << name << " from another organisation";
    }
  }
  EXPECT_EQ(Written(), before);
}

TEST_F(RegistryEdgeTest, BadInput_NamesTheFieldAndWritesNothing) {
  struct Bad {
    std::string field;
    const Principal* as;
    Call call;
  };
  const auto submit = [](const std::function<void(v1::SubmitReferralRequest&)>& spoil) {
    v1::SubmitReferralRequest r = Submission("bad-submit");
    spoil(r);
    return Unary(&Stub::SubmitReferral, r);
  };
  const auto accept = [&](const std::function<void(v1::AcceptReferralRequest&)>& spoil) {
    v1::AcceptReferralRequest r;
    r.set_request_id("bad-accept");
    r.set_referral_id(referral_id_);
    r.set_organisation_id("ngo-wuding");
    r.set_caseworker_id("caseworker-1");
    r.set_risk_level(v1::RISK_LEVEL_LOW);
    spoil(r);
    return Unary(&Stub::AcceptReferral, r);
  };
  v1::GetReferralRequest bad_referral_id;
  bad_referral_id.set_referral_id("not-an-id");
  v1::ListReferralsRequest negative_page;
  negative_page.set_page_size(-1);
  v1::ListReferralsRequest foreign_token;
  foreign_token.set_page_token("page-2");
  v1::ListReferralsRequest bad_status;
  bad_status.set_status(static_cast<v1::ReferralStatus>(99));
  v1::ListReferralsRequest bad_prefix;
  bad_prefix.set_division_prefix("53232");
  v1::RejectReferralRequest ideographic_spaces;
  ideographic_spaces.set_request_id("bad-reject");
  ideographic_spaces.set_referral_id(referral_id_);
  ideographic_spaces.set_reason("\xE3\x80\x80\xE3\x80\x80");
  v1::TransferReferralRequest no_organisation;
  no_organisation.set_request_id("bad-transfer");
  no_organisation.set_referral_id(referral_id_);
  no_organisation.set_reason("就近");
  auto control_note = WithCase<v1::CompleteVerificationRequest>("bad-verify");
  control_note.set_note("ok\x01");
  auto no_caseworker = WithCase<v1::TransferCaseRequest>("bad-tc");
  no_caseworker.set_to_organisation_id("ngo-other");
  no_caseworker.set_reason("就近");
  auto no_care_type = WithCase<v1::ChangeCareArrangementRequest>("bad-care");
  no_care_type.mutable_care_arrangement()->set_caregiver("王秀英");
  no_care_type.set_reason("x");
  auto bad_date = WithCase<v1::ChangeCareArrangementRequest>("bad-care-2");
  bad_date.mutable_care_arrangement()->set_type(v1::CARE_ARRANGEMENT_TYPE_BOARDING_SCHOOL);
  bad_date.mutable_care_arrangement()->set_caregiver("武定县民族中学");
  bad_date.mutable_care_arrangement()->set_effective_date("2026-02-30");
  bad_date.set_reason("寄宿");
  auto unknown_risk = WithCase<v1::SetRiskLevelRequest>("bad-risk");
  unknown_risk.set_risk_level(static_cast<v1::RiskLevel>(9));
  unknown_risk.set_reason("x");
  auto half_a_place = WithCase<v1::MoveHouseholdRequest>("bad-move");
  half_a_place.mutable_household()->set_village_code(kWudingVillage);
  half_a_place.mutable_household()->set_latitude(25.6);
  half_a_place.set_reason("搬家");
  auto no_reason = WithCase<v1::CloseCaseRequest>("bad-close");
  auto spaced_request_id = WithCase<v1::ReopenCaseRequest>("two words");
  spaced_request_id.set_reason("x");
  v1::GetCaseRequest no_case;
  no_case.set_purpose("case review");
  v1::GetCaseRequest no_case_purpose;
  no_case_purpose.set_case_id(case_id_);
  v1::GetChildRequest blank_purpose;
  blank_purpose.set_child_id(child_id_);
  blank_purpose.set_purpose("   ");
  v1::SearchChildrenRequest bad_category;
  bad_category.set_purpose("review");
  bad_category.set_category(static_cast<v1::ChildCategory>(99));
  v1::GetStatisticsRequest short_prefix;
  short_prefix.set_division_prefix("5");
  v1::ListAccessLogRequest bad_record;
  bad_record.set_record_id("x");
  v1::ListAccessLogRequest spaced_subject;
  spaced_subject.set_subject("a b");
  v1::GetDivisionRequest no_code;
  v1::ListChildDivisionsRequest bad_parent;
  bad_parent.set_parent_code("123");
  v1::RecordAccessRequest no_children;
  no_children.set_subject("caseworker-1");
  no_children.set_method("visits.GetVisitReport");
  no_children.set_fields("visit_report");
  no_children.set_purpose("家访准备");
  v1::RecordAccessRequest bad_village = no_children;
  bad_village.add_children()->set_child_id(child_id_);
  bad_village.mutable_children(0)->set_village_code("532329");
  v1::StreamEventsRequest negative_sequence;
  negative_sequence.set_after_sequence(-1);

  const std::vector<Bad> table = {
      {"request_id", &wuding_caseworker_, submit([](auto& r) { r.clear_request_id(); })},
      {"reason", &wuding_caseworker_, submit([](auto& r) { r.set_reason("   "); })},
      {"child.name", &wuding_caseworker_, submit([](auto& r) { r.mutable_child()->clear_name(); })},
      {"household.village_code", &wuding_caseworker_,
       submit([](auto& r) { r.mutable_household()->set_village_code("532329"); })},
      {"household.village_code", &wuding_caseworker_,
       submit([](auto& r) { r.mutable_household()->set_village_code("532329999999"); })},
      {"referral_id", &wuding_officer_, Unary(&Stub::GetReferral, bad_referral_id)},
      {"page_size", &wuding_officer_, Unary(&Stub::ListReferrals, negative_page)},
      {"page_token", &wuding_officer_, Unary(&Stub::ListReferrals, foreign_token)},
      {"status", &wuding_officer_, Unary(&Stub::ListReferrals, bad_status)},
      {"division_prefix", &wuding_officer_, Unary(&Stub::ListReferrals, bad_prefix)},
      {"risk_level", &wuding_officer_, accept([](auto& r) { r.clear_risk_level(); })},
      {"organisation_id", &wuding_officer_, accept([](auto& r) { r.clear_organisation_id(); })},
      {"caseworker_id", &wuding_officer_, accept([](auto& r) { r.set_caseworker_id("case worker"); })},
      {"existing_child_id", &wuding_officer_, accept([](auto& r) { r.set_existing_child_id("bad"); })},
      {"reason", &wuding_officer_, Unary(&Stub::RejectReferral, ideographic_spaces)},
      {"to_organisation_id", &wuding_officer_, Unary(&Stub::TransferReferral, no_organisation)},
      {"case_id", &wuding_officer_, Unary(&Stub::GetCase, no_case)},
      {"note", &wuding_officer_, Unary(&Stub::CompleteVerification, control_note)},
      {"to_caseworker_id", &wuding_officer_, Unary(&Stub::TransferCase, no_caseworker)},
      {"care_arrangement.type", &wuding_officer_, Unary(&Stub::ChangeCareArrangement, no_care_type)},
      {"care_arrangement.effective_date", &wuding_officer_, Unary(&Stub::ChangeCareArrangement, bad_date)},
      {"risk_level", &wuding_officer_, Unary(&Stub::SetRiskLevel, unknown_risk)},
      {"household.longitude", &wuding_officer_, Unary(&Stub::MoveHousehold, half_a_place)},
      {"reason", &wuding_officer_, Unary(&Stub::CloseCase, no_reason)},
      {"request_id", &wuding_officer_, Unary(&Stub::ReopenCase, spaced_request_id)},
      {"purpose", &wuding_officer_, Unary(&Stub::GetChild, blank_purpose)},
      {"purpose", &wuding_officer_, Unary(&Stub::GetCase, no_case_purpose)},
      {"category", &wuding_officer_, Unary(&Stub::SearchChildren, bad_category)},
      {"division_prefix", &wuding_officer_, Unary(&Stub::GetStatistics, short_prefix)},
      {"record_id", &auditor_, Unary(&Stub::ListAccessLog, bad_record)},
      {"subject", &auditor_, Unary(&Stub::ListAccessLog, spaced_subject)},
      {"code", &wuding_officer_, Unary(&Stub::GetDivision, no_code)},
      {"parent_code", &wuding_officer_, Unary(&Stub::ListChildDivisions, bad_parent)},
      {"after_sequence", &system_, Stream(negative_sequence)},
      {"children", &system_, Unary(&Stub::RecordAccess, no_children)},
      {"children[0].village_code", &system_, Unary(&Stub::RecordAccess, bad_village)},
  };
  const auto before = Written();
  for (const Bad& bad : table) {
    const absl::Status status = FromGrpcStatus(Run(bad.call, bad.as));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad.field << ": " << status;
    EXPECT_EQ(FieldOf(status), bad.field) << status;
  }
  EXPECT_EQ(Written(), before);
}

// Reads of children's data are answered only once their log rows are written, and the call workers (four
// here) do not wait for that: with the log held, six reads are in flight unanswered and nothing of them is
// logged, and a call that needs a worker is still served. A read that waited for its log on its worker (as
// GetReferral and ListReferrals did) would never reach the held log, and six of them would leave no worker.
TEST_F(RegistryEdgeTest, ReadsWaitingForTheirLog_AreNotAnswered_AndHoldNoCallWorker) {
  store_.HoldAccessLog();
  const size_t logged_before = store_.access_log_entries();
  v1::GetReferralRequest get_referral;
  get_referral.set_referral_id(referral_id_);
  v1::GetChildRequest get_child;
  get_child.set_child_id(child_id_);
  get_child.set_purpose("weekend home visit");
  const std::vector<Call> reads = {Unary(&Stub::GetReferral, get_referral),
                                   Unary(&Stub::GetReferral, get_referral),
                                   Unary(&Stub::ListReferrals, v1::ListReferralsRequest()),
                                   Unary(&Stub::ListReferrals, v1::ListReferralsRequest()),
                                   Unary(&Stub::GetChild, get_child),
                                   Unary(&Stub::GetChild, get_child)};
  std::atomic<int> answered{0};
  std::vector<grpc::Status> results(reads.size());
  std::vector<std::thread> readers;
  for (size_t i = 0; i < reads.size(); ++i) {
    readers.emplace_back([&, i] {
      results[i] = Run(reads[i], &wuding_officer_);
      ++answered;
    });
  }
  store_.AwaitHeldReads(reads.size());
  EXPECT_EQ(store_.held_reads(), reads.size()) << "a read did not hand its rows to the log";
  v1::GetDivisionRequest division;
  division.set_code(kWudingVillage);
  EXPECT_TRUE(Run(Unary(&Stub::GetDivision, division), &wuding_officer_).ok());
  EXPECT_EQ(answered.load(), 0) << "a read was answered before its log was written";
  EXPECT_EQ(store_.access_log_entries(), logged_before);
  store_.ReleaseAccessLog();
  for (auto& r : readers) r.join();
  for (size_t i = 0; i < results.size(); ++i)
    EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].error_message();
  EXPECT_GE(store_.access_log_entries(), logged_before + 4);  // two referrals, two children, and the lists'
}

// A caller who gives up while its read waits for the log is shown nothing, so the log must not say it read
// the child: with the log held, one GetChild whose deadline passes and one that waits; released, only the
// second is logged. (The log's batch read and logged the first all the same before: it said more than was
// shown, and under overload it wrote rows for callers long gone.)
TEST_F(RegistryEdgeTest, ChildReadWaitingForTheLog_CallerGaveUp_IsNotLogged) {
  v1::GetChildRequest get_child;
  get_child.set_child_id(child_id_);
  get_child.set_purpose("weekend home visit");
  RaceAGiveUp(&Stub::GetChild, get_child, HeldAt::kTheLog,
              [](const v1::GetChildResponse& r) { return r.has_child() ? 1 : 0; });
}

// The same for a page read by a caller who gave up during its SELECT: neither shown nor logged.
TEST_F(RegistryEdgeTest, CountySearch_CallerGaveUpDuringThePage_IsNotLogged) {
  v1::SearchChildrenRequest search;
  search.set_division_prefix("532329");
  search.set_purpose("weekend visit planning");
  RaceAGiveUp(&Stub::SearchChildren, search, HeldAt::kThePageRead,
              [](const v1::SearchChildrenResponse& r) { return r.children_size(); });
}

TEST_F(RegistryEdgeTest, ListReferrals_CallerGaveUpDuringThePage_IsNotLogged) {
  v1::ListReferralsRequest list;
  list.set_division_prefix("532329");
  RaceAGiveUp(&Stub::ListReferrals, list, HeldAt::kThePageRead,
              [](const v1::ListReferralsResponse& r) { return r.referrals_size(); });
}

// A role that may not call a method lends the call nothing: an NGO admin who also trains volunteers searches
// and reads children as an NGO admin, bound to their organisation, not as a trainer sees the county.
TEST_F(RegistryEdgeTest, ChildReads_NgoAdminWhoIsAlsoATrainer_SeeOnlyTheirOrganisationsChildren) {
  v1::SearchChildrenRequest search;
  search.set_purpose("月度回顾");
  v1::GetChildRequest get_child;
  get_child.set_child_id(child_id_);
  get_child.set_purpose("家访准备");
  for (const char* organisation : {"ngo-other", "ngo-wuding"}) {
    Principal admin_and_trainer =
        MakePrincipal("admin-9", organisation, common::v1::ROLE_NGO_ADMIN, {"532329"});
    admin_and_trainer.add_roles(common::v1::ROLE_TRAINER);
    const bool own = std::string(organisation) == "ngo-wuding";  // the seeded child's case is ngo-wuding's
    v1::SearchChildrenResponse found;
    auto context = principals_.Context(admin_and_trainer);
    const grpc::Status searched = stub_->SearchChildren(context.get(), search, &found);
    ASSERT_TRUE(searched.ok()) << searched.error_message();
    EXPECT_EQ(found.children_size(), own ? 1 : 0) << organisation;
    EXPECT_EQ(Run(Unary(&Stub::GetChild, get_child), &admin_and_trainer).error_code(),
              own ? grpc::StatusCode::OK : grpc::StatusCode::NOT_FOUND)
        << organisation;
  }
}

}  // namespace
}  // namespace shouhu::registry::testing
