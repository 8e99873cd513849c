// County rosters against the real registry (in process, loopback gRPC, real MariaDB): chunked commits, bad
// rows by number and field with nothing written for them, duplicates matched, re-sent chunks and cancelled
// imports resumed without a second child, scope, a concurrent import of the same roster, and drift.
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "shouhu/registry/v1/events.pb.h"
#include "shouhu/registry/v1/roster_service.grpc.pb.h"
#include "tests/integration/registry/registry_fixture.h"
#include "tests/support/roster_fixture_rows.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;
using Chunks = std::vector<std::vector<v1::RosterRow>>;

v1::RosterRow RosterRow(int n) { return shouhu::testing::RosterRowNumber(n); }

std::vector<v1::RosterRow> Rows(int first, int count) {
  std::vector<v1::RosterRow> rows;
  for (int n = first; n < first + count; ++n) rows.push_back(RosterRow(n));
  return rows;
}

class RosterTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure()) return;
    roster_server_ =
        std::make_unique<shouhu::testing::TestServer>(std::vector<std::pair<grpc::Service*, std::string>>{
            {&module_->roster_service(), kRosterServiceName}});
    roster_stub_ = v1::RosterService::NewStub(roster_server_->channel());
  }
  void TearDown() override {
    roster_server_.reset();
    RegistryTest::TearDown();
  }

  // Sends the header and `chunks` (numbered from 1); with `cancel_after`, cancels once that many are sent.
  absl::StatusOr<v1::ImportRosterResponse> Import(const Principal& as, const std::string& import_id,
                                                  const Chunks& chunks, int cancel_after = 0,
                                                  const std::string& county = "532329") {
    auto context = principals_.Context(as);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    v1::ImportRosterResponse answer;
    auto writer = roster_stub_->ImportRoster(context.get(), &answer);
    v1::ImportRosterRequest header;
    header.mutable_header()->set_import_id(import_id);
    header.mutable_header()->set_county_code(county);
    writer->Write(header);
    int sent = 0;
    for (const auto& rows : chunks) {
      v1::ImportRosterRequest message;
      message.mutable_chunk()->set_chunk_number(++sent);
      for (const auto& r : rows) *message.mutable_chunk()->add_rows() = r;
      if (!writer->Write(message)) break;
      if (cancel_after > 0 && sent == cancel_after) {
        context->TryCancel();
        break;
      }
    }
    if (cancel_after == 0) writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok()) return FromGrpcStatus(status);
    return answer;
  }

  absl::StatusOr<v1::CompareRosterResponse> Compare(const Principal& as,
                                                    const std::vector<v1::RosterRow>& rows) {
    auto context = principals_.Context(as);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::CompareRosterResponse answer;
    auto writer = roster_stub_->CompareRoster(context.get(), &answer);
    v1::CompareRosterRequest header;
    header.mutable_header()->set_county_code("532329");
    header.mutable_header()->set_purpose("annual roster check");
    writer->Write(header);
    v1::CompareRosterRequest chunk;
    for (const auto& r : rows) *chunk.mutable_chunk()->add_rows() = r;
    writer->Write(chunk);
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok()) return FromGrpcStatus(status);
    return answer;
  }

  // Everything an import writes, to show a retry wrote nothing.
  std::vector<int64_t> Footprint() {
    return {Count("children"),         Count("cases"),        Count("case_history"), Count("guardians"),
            Count("child_categories"), Count("outbox_events")};
  }

  int RosterEvents() {
    int n = 0;
    for (const auto& e : Events()) n += e.payload().Is<v1::CaseOpenedFromRoster>() ? 1 : 0;
    return n;
  }

  std::unique_ptr<shouhu::testing::TestServer> roster_server_;
  std::unique_ptr<v1::RosterService::Stub> roster_stub_;
};

TEST_F(RosterTest, ImportRoster_TwoChunks_RegistersEachChildWithAnActiveCaseOfTheCountyBureau) {
  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse answer,
                       Import(wuding_officer_, "roster-a", {Rows(1, 3), Rows(4, 3)}));
  EXPECT_EQ(answer.chunks(), 2);
  EXPECT_EQ(answer.rows(), 6);
  EXPECT_EQ(answer.created(), 6);
  EXPECT_EQ(answer.matched(), 0);
  EXPECT_EQ(answer.rejected(), 0);
  EXPECT_EQ(Count("children WHERE current_case_id IS NOT NULL"), 6);
  EXPECT_EQ(
      Count("cases WHERE status = 2 AND referral_id IS NULL AND organisation_id = 'wuding-civil-affairs' "
            "AND caseworker_id = 'officer-wuding' AND risk_level = 0"),
      6);
  EXPECT_EQ(Count("case_history WHERE action = 'imported'"), 6);
  EXPECT_EQ(Count("guardians"), 6);
  EXPECT_EQ(Count("child_categories"), 6);
  // Sealed as a referral's child is: neither the id nor its birth-date part stored in clear.
  EXPECT_EQ(Count("children WHERE resident_id_sealed IS NOT NULL AND resident_id_hash IS NOT NULL"), 6);
  EXPECT_EQ(Count("children WHERE resident_id_sealed LIKE '%53232920151%'"), 0);
  EXPECT_EQ(RosterEvents(), 6);
}

TEST_F(RosterTest, ImportRoster_BadRows_ReportedByRowAndField_NothingWrittenForThem) {
  std::vector<v1::RosterRow> rows = Rows(1, 6);
  rows[1].mutable_child()->set_resident_id(rows[1].child().resident_id().substr(0, 17) + "0");
  if (rows[1].child().resident_id() == RosterRow(2).child().resident_id()) {
    rows[1].mutable_child()->set_resident_id(rows[1].child().resident_id().substr(0, 17) + "1");
  }
  rows[2].mutable_household()->set_village_code(kXixiaVillage);   // another county
  rows[3].mutable_household()->set_village_code("532329999999");  // no such village
  rows[4].clear_categories();
  rows[5].mutable_guardians(0)->clear_status();
  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse answer, Import(wuding_officer_, "roster-bad", {rows}));
  EXPECT_EQ(answer.rows(), 6);
  EXPECT_EQ(answer.created(), 1);
  EXPECT_EQ(answer.rejected(), 5);
  const std::vector<std::pair<int64_t, std::string>> expected = {{2, "child.resident_id"},
                                                                 {3, "household.village_code"},
                                                                 {4, "household.village_code"},
                                                                 {5, "categories"},
                                                                 {6, "guardians[0].status"}};
  ASSERT_EQ(answer.rejections_size(), static_cast<int>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(answer.rejections(i).row_number(), expected[i].first);
    EXPECT_EQ(answer.rejections(i).field(), expected[i].second);
    EXPECT_EQ(answer.rejections(i).reason().find("532329"), std::string::npos)
        << answer.rejections(i).reason();
  }
  EXPECT_EQ(Count("children"), 1);
  EXPECT_EQ(Count("cases"), 1);
  EXPECT_EQ(Count("guardians"), 1);
}

TEST_F(RosterTest, ImportRoster_ChildAlreadyRegistered_IsMatchedNotCreatedTwice) {
  // Registered first through a referral, accepted by an NGO.
  v1::SubmitReferralRequest referral =
      Referral("s-1", "儿童1", RosterRow(1).child().birth_date(), RosterRow(1).child().resident_id());
  ASSERT_OK_AND_ASSIGN(v1::Referral submitted, Submit(wuding_officer_, referral));
  ASSERT_OK(Accept(wuding_officer_, "a-1", submitted.referral_id()));
  ASSERT_EQ(Count("children"), 1);
  // The roster lists that child, a new one, and the new one again.
  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse answer,
                       Import(wuding_officer_, "roster-dup", {{RosterRow(1), RosterRow(2), RosterRow(2)}}));
  EXPECT_EQ(answer.created(), 1);
  EXPECT_EQ(answer.matched(), 2);
  EXPECT_EQ(Count("children"), 2);
  EXPECT_EQ(Count("cases"), 2);
  // The NGO's case of the registered child is left as it was.
  EXPECT_EQ(Count("cases WHERE organisation_id = 'ngo-wuding' AND status = 1"), 1);
}

TEST_F(RosterTest, ImportRoster_SentAgain_ChangesNothing_AndAnswersAsTheFirstTime) {
  const Chunks chunks = {Rows(1, 4), Rows(5, 4), Rows(9, 2)};
  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse first, Import(wuding_officer_, "roster-again", chunks));
  const std::vector<int64_t> after_first = Footprint();
  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse again, Import(wuding_officer_, "roster-again", chunks));
  EXPECT_EQ(Footprint(), after_first);
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(again.created(), 10);  // the first answer, replayed chunk by chunk
}

TEST_F(RosterTest, ImportRoster_CancelledMidway_ThenRerun_RegistersEachChildOnce) {
  const Chunks chunks = {Rows(1, 50), Rows(51, 50), Rows(101, 50), Rows(151, 50)};
  auto cancelled = Import(wuding_officer_, "roster-cancel", chunks, /*cancel_after=*/2);
  EXPECT_THAT(cancelled, StatusIs(absl::StatusCode::kCancelled));
  // Whatever committed before the cancellation is whole chunks.
  EXPECT_EQ(Count("children") % 50, 0);
  EXPECT_LE(Count("children"), 100);
  ASSERT_OK_AND_ASSIGN(v1::ImportRosterResponse rerun, Import(wuding_officer_, "roster-cancel", chunks));
  EXPECT_EQ(rerun.rows(), 200);
  EXPECT_EQ(rerun.created() + rerun.matched(), 200);
  EXPECT_EQ(Count("children"), 200);
  EXPECT_EQ(Count("cases"), 200);
  EXPECT_EQ(RosterEvents(), 200);
  // Each child's event (a block's are written in one INSERT) names its own case and child, under the case.
  std::set<std::string> cases_named;
  for (const auto& e : Events()) {
    v1::CaseOpenedFromRoster opened;
    if (!e.payload().UnpackTo(&opened)) continue;
    EXPECT_EQ(e.aggregate_id(), opened.case_id());
    EXPECT_EQ(Count(absl::StrCat("cases WHERE id = '", opened.case_id(), "' AND child_id = '",
                                 opened.child_id(), "' AND village_code = '", opened.village_code(), "'")),
              1);
    cases_named.insert(opened.case_id());
  }
  EXPECT_EQ(cases_named.size(), 200u);
}

TEST_F(RosterTest, ImportRoster_ChunkNumberReusedWithOtherRows_IsInvalid_EarlierChunksStayCommitted) {
  ASSERT_OK(Import(wuding_officer_, "roster-reuse", {Rows(1, 3)}));
  auto reused = Import(wuding_officer_, "roster-reuse", {Rows(10, 3)});
  EXPECT_THAT(reused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(FieldOf(reused.status()), "chunk.chunk_number");
  EXPECT_EQ(Count("children"), 3);
}

TEST_F(RosterTest, ImportRoster_AnotherCountysOfficer_NotFound_AndOtherRolesRefused_NothingWritten) {
  EXPECT_THAT(Import(xixia_officer_, "roster-x", {Rows(1, 3)}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Import(wuding_caseworker_, "roster-x", {Rows(1, 3)}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Import(auditor_, "roster-x", {Rows(1, 3)}), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Count("children"), 0);
  EXPECT_EQ(Count("idempotency_records"), 0);
}

TEST_F(RosterTest, ImportRoster_HeaderMissingOrBad_InvalidArgumentNamingIt) {
  auto context = principals_.Context(wuding_officer_);
  v1::ImportRosterResponse answer;
  auto writer = roster_stub_->ImportRoster(context.get(), &answer);
  v1::ImportRosterRequest chunk;
  chunk.mutable_chunk()->set_chunk_number(1);
  *chunk.mutable_chunk()->add_rows() = RosterRow(1);
  writer->Write(chunk);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOfGrpcStatus(status), "header");
  auto bad_county = Import(wuding_officer_, "roster-h", {Rows(1, 1)}, 0, "5323");
  EXPECT_EQ(FieldOf(bad_county.status()), "header.county_code");
  auto bad_id = Import(wuding_officer_, "", {Rows(1, 1)});
  EXPECT_EQ(FieldOf(bad_id.status()), "header.import_id");
  EXPECT_EQ(Count("children"), 0);
}

// Two officers of the county import the same roster at once (different import ids, so no idempotency
// record joins them): the unique resident-id key makes one child of each row, the other import matches it.
TEST_F(RosterTest, ImportRoster_SameRosterTwiceConcurrently_RegistersEachChildOnce) {
  const Principal second_officer = shouhu::testing::MakePrincipal(
      "officer-wuding-2", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  const Chunks chunks = {Rows(1, 40), Rows(41, 40), Rows(81, 40)};
  absl::StatusOr<v1::ImportRosterResponse> a, b;
  std::thread first([&] { a = Import(wuding_officer_, "roster-race-a", chunks); });
  std::thread second([&] { b = Import(second_officer, "roster-race-b", chunks); });
  first.join();
  second.join();
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(a->created() + b->created(), 120);
  EXPECT_EQ(a->matched() + b->matched(), 120);
  EXPECT_EQ(Count("children"), 120);
  EXPECT_EQ(Count("cases"), 120);
  // The county search's category rows (migration 0047): one per child and category, whichever import
  // registered the child.
  EXPECT_EQ(Count("county_category_children WHERE county_code = '532329'"), Count("child_categories"));
  EXPECT_EQ(Count("child_categories"), 120);
}

// Two imports at once where the second also lists children the first does not. When the second's block
// meets the first's uncommitted children on the unique key, it is registered row by row, and the children
// only it lists are created there: they too get their rows in the county search's category index (migration
// 0047). Several rounds, so that the second meets the first mid-transaction in some of them.
TEST_F(RosterTest, ImportRoster_OverlappingRostersConcurrently_EveryChildHasItsCategoryRows) {
  const Principal second_officer = shouhu::testing::MakePrincipal(
      "officer-wuding-2", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  constexpr int kRounds = 8, kShared = 60, kOnlySecond = 4;
  for (int round = 0; round < kRounds; ++round) {
    const int first_row = 1 + round * (kShared + kOnlySecond);
    absl::StatusOr<v1::ImportRosterResponse> a, b;
    std::thread first(
        [&] { a = Import(wuding_officer_, absl::StrCat("overlap-a-", round), {Rows(first_row, kShared)}); });
    std::thread second([&] {
      b = Import(second_officer, absl::StrCat("overlap-b-", round), {Rows(first_row, kShared + kOnlySecond)});
    });
    first.join();
    second.join();
    ASSERT_OK(a);
    ASSERT_OK(b);
    EXPECT_EQ(a->created() + b->created(), kShared + kOnlySecond) << round;
  }
  EXPECT_EQ(Count("children"), kRounds * (kShared + kOnlySecond));
  EXPECT_EQ(Count("child_categories"), kRounds * (kShared + kOnlySecond));
  EXPECT_EQ(Count("county_category_children WHERE county_code = '532329'"), Count("child_categories"));
}

TEST_F(RosterTest, CompareRoster_ListsMissingOnEachSideAndDifferences_AndLogsTheChildrenShown) {
  ASSERT_OK(Import(wuding_officer_, "roster-drift", {Rows(1, 3)}));  // children 1, 2, 3
  std::vector<v1::RosterRow> export_rows = {RosterRow(1), RosterRow(2), RosterRow(4)};
  export_rows[1].clear_categories();
  export_rows[1].add_categories(v1::CHILD_CATEGORY_ORPHAN);  // 2's category differs
  export_rows[0].mutable_guardians(0)->set_status(
      v1::GUARDIAN_STATUS_MIGRANT_WORKER);  // 1's guardian differs
  export_rows[2].set_row_number(3);
  export_rows[0].set_row_number(1);
  export_rows[1].set_row_number(2);
  const int64_t logged_before = Count(kAccessLogEntries + " WHERE method = 'CompareRoster'");
  ASSERT_OK_AND_ASSIGN(v1::CompareRosterResponse drift, Compare(wuding_officer_, export_rows));
  EXPECT_EQ(drift.rows(), 3);
  EXPECT_EQ(drift.matched(), 2);
  ASSERT_EQ(drift.missing_from_registry_size(), 1);
  EXPECT_EQ(drift.missing_from_registry(0), 3);  // the export's row 3 (child 4)
  ASSERT_EQ(drift.missing_from_roster_size(), 1);
  ASSERT_OK_AND_ASSIGN(auto child, Call(&v1::RegistryService::Stub::GetChild, wuding_officer_, [&] {
                         v1::GetChildRequest r;
                         r.set_child_id(drift.missing_from_roster(0));
                         r.set_purpose("check the drift test");
                         return r;
                       }()));
  EXPECT_EQ(child.child().resident_id(), RosterRow(3).child().resident_id());
  ASSERT_EQ(drift.differences_size(), 2);
  EXPECT_EQ(drift.differences(0).row_number(), 1);
  EXPECT_EQ(drift.differences(0).roster_guardian_statuses(0), v1::GUARDIAN_STATUS_MIGRANT_WORKER);
  EXPECT_EQ(drift.differences(0).registry_guardian_statuses(0), v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  EXPECT_EQ(drift.differences(1).row_number(), 2);
  EXPECT_EQ(drift.differences(1).roster_categories(0), v1::CHILD_CATEGORY_ORPHAN);
  EXPECT_EQ(drift.differences(1).registry_categories(0), v1::CHILD_CATEGORY_LEFT_BEHIND);
  EXPECT_EQ(Count(kAccessLogEntries + " WHERE method = 'CompareRoster'") - logged_before, 3);
  // Another county's officer learns nothing about Wuding's roster.
  EXPECT_THAT(Compare(xixia_officer_, export_rows), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace shouhu::registry::testing
