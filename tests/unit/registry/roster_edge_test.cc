// RosterService's edge against the in-memory registry store and a recording roster store (no database): every
// method authenticates first, takes its roles from the proto before looking at the stream, and answers
// NOT_FOUND for a county outside the caller's jurisdiction, with nothing written. The roster's scope table.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/call_workers.h"
#include "common/ids.h"
#include "common/method_access.h"
#include "services/registry/roster_service.h"
#include "tests/support/in_memory_registry_store.h"
#include "tests/support/roster_fixture_rows.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_server.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::MakePrincipal;
using RosterStub = v1::RosterService::Stub;

// Records what the edge asked of it; writes nothing anywhere.
class RecordingRosterStore final : public RosterStore {
 public:
  absl::StatusOr<v1::ImportRosterResponse> ImportChunk(const IdempotencyKey&, const Actor&,
                                                       const std::string&,
                                                       const std::vector<RosterEntry>& entries,
                                                       const std::vector<v1::RowRejection>&) override {
    ++chunks;
    v1::ImportRosterResponse answer;
    answer.set_created(static_cast<int64_t>(entries.size()));
    return answer;
  }
  std::string ResidentIdHash(const std::string& resident_id) const override { return "h:" + resident_id; }
  absl::StatusOr<std::vector<RosterChild>> CountyChildren(const std::string&) override {
    ++county_reads;
    return registered;
  }
  // Comparisons run on several call workers at once.
  std::atomic<int> chunks{0};
  std::atomic<int> county_reads{0};
  std::vector<RosterChild> registered;  // the county's children, as CountyChildren answers
};

template <typename Request>
Request Header(const std::string& county) {
  Request r;
  r.mutable_header()->set_import_id("import-1");
  r.mutable_header()->set_county_code(county);
  r.mutable_header()->set_purpose("annual roster check");
  return r;
}

template <typename Request>
Request Chunk() {
  Request r;
  r.mutable_chunk()->set_chunk_number(1);
  *r.mutable_chunk()->add_rows() = shouhu::testing::RosterRowNumber(1);
  return r;
}

using RosterCall = std::function<grpc::Status(RosterStub&, grpc::ClientContext*)>;

// A whole import or comparison of one row for `county`; `empty` sends one empty message instead.
RosterCall Import(const std::string& county, bool empty = false) {
  return [=](RosterStub& stub, grpc::ClientContext* context) {
    v1::ImportRosterResponse answer;
    auto writer = stub.ImportRoster(context, &answer);
    if (empty) {
      writer->Write(v1::ImportRosterRequest());
    } else {
      writer->Write(Header<v1::ImportRosterRequest>(county));
      writer->Write(Chunk<v1::ImportRosterRequest>());
    }
    writer->WritesDone();
    return writer->Finish();
  };
}

RosterCall Compare(const std::string& county, bool empty = false) {
  return [=](RosterStub& stub, grpc::ClientContext* context) {
    v1::CompareRosterResponse answer;
    auto writer = stub.CompareRoster(context, &answer);
    if (empty) {
      writer->Write(v1::CompareRosterRequest());
    } else {
      writer->Write(Header<v1::CompareRosterRequest>(county));
      writer->Write(Chunk<v1::CompareRosterRequest>());
    }
    writer->WritesDone();
    return writer->Finish();
  };
}

std::set<std::string> AllRosterMethods() {
  std::set<std::string> names;
  const auto* service = FindService(v1::RosterService::service_full_name());
  for (int i = 0; i < service->method_count(); ++i) names.insert(service->method(i)->name());
  return names;
}

class RosterEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::Division county;
    county.set_code("532329");
    county.set_level(v1::DIVISION_LEVEL_COUNTY);
    store_.AddDivision(county);
    v1::Division village;
    village.set_code("532329101001");
    village.set_level(v1::DIVISION_LEVEL_VILLAGE);
    store_.AddDivision(village);
  }

  grpc::Status Run(const RosterCall& call, const Principal* as) {
    std::unique_ptr<grpc::ClientContext> context;
    if (as != nullptr) {
      context = principals_.Context(*as);
    } else {
      context = std::make_unique<grpc::ClientContext>();
      context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    }
    return call(*stub_, context.get());
  }

  std::vector<size_t> Written() const {
    return {store_.children(), store_.idempotency_records(), store_.access_log_entries(),
            static_cast<size_t>(roster_.chunks)};
  }

  SystemClock clock_;
  IdGenerator ids_{clock_};
  InMemoryRegistryStore store_{clock_, ids_};
  RecordingRosterStore roster_;
  CallWorkers workers_{4};
  PrincipalVerifier verifier_{shouhu::testing::TestTrustedKeys(), clock_};
  RosterService service_{store_, roster_, verifier_, clock_, workers_};
  shouhu::testing::TestServer server_{{{&service_, "shouhu.registry.v1.RosterService"}}};
  std::unique_ptr<RosterStub> stub_ = v1::RosterService::NewStub(server_.channel());
  shouhu::testing::TestPrincipals principals_{clock_};

  const Principal wuding_officer_ =
      MakePrincipal("officer-wuding", "wuding-ca", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  const Principal xixia_officer_ =
      MakePrincipal("officer-xixia", "xixia-ca", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"640105"});
  const Principal xixia_auditor_ = MakePrincipal("auditor-64", "audit", common::v1::ROLE_AUDITOR, {"64"});
};

TEST_F(RosterEdgeTest, EveryMethod_Unsigned_IsUnauthenticatedAndWritesNothing) {
  const std::map<std::string, RosterCall> calls = {{"ImportRoster", Import("532329")},
                                                   {"CompareRoster", Compare("532329")}};
  std::set<std::string> covered;
  for (const auto& [name, call] : calls) covered.insert(name);
  ASSERT_EQ(covered, AllRosterMethods());
  for (const auto& [name, call] : calls) {
    EXPECT_EQ(Run(call, nullptr).error_code(), grpc::StatusCode::UNAUTHENTICATED) << name;
  }
  EXPECT_EQ(Written(), std::vector<size_t>({0, 0, 0, 0}));
}

TEST_F(RosterEdgeTest, EveryMethodAndRole_RolesComeFromTheProtoAndPrecedeValidation) {
  const std::map<std::string, RosterCall> empty = {{"ImportRoster", Import("", true)},
                                                   {"CompareRoster", Compare("", true)}};
  const auto* service = FindService(v1::RosterService::service_full_name());
  for (const auto& [name, call] : empty) {
    const auto* method = service->FindMethodByName(name);
    ASSERT_NE(method, nullptr) << name;
    for (int role = common::v1::Role_MIN; role <= common::v1::Role_MAX; ++role) {
      if (role == common::v1::ROLE_UNSPECIFIED || !common::v1::Role_IsValid(role)) continue;
      const Principal caller = MakePrincipal("someone", "org", static_cast<Role>(role), {"532329"});
      const grpc::StatusCode code = Run(call, &caller).error_code();
      if (MayCall(caller, *method)) {
        // Admitted: refused for the missing header.
        EXPECT_EQ(code, grpc::StatusCode::INVALID_ARGUMENT) << name << " " << common::v1::Role_Name(role);
      } else {
        EXPECT_EQ(code, grpc::StatusCode::PERMISSION_DENIED) << name << " " << common::v1::Role_Name(role);
      }
    }
  }
}

TEST_F(RosterEdgeTest, EveryMethod_CountyOutsideTheJurisdiction_IsNotFoundAndWritesNothing) {
  struct Row {
    RosterCall call;
    const Principal* caller;
  };
  const std::map<std::string, Row> table = {
      {"ImportRoster", {Import("532329"), &xixia_officer_}},
      {"CompareRoster", {Compare("532329"), &xixia_auditor_}},
  };
  std::set<std::string> covered;
  for (const auto& [name, row] : table) covered.insert(name);
  ASSERT_EQ(covered, AllRosterMethods());
  const auto* service = FindService(v1::RosterService::service_full_name());
  for (const auto& [name, row] : table) {
    ASSERT_TRUE(MayCall(*row.caller, *service->FindMethodByName(name))) << name;
    EXPECT_EQ(Run(row.call, row.caller).error_code(), grpc::StatusCode::NOT_FOUND) << name;
  }
  EXPECT_EQ(Run(Compare("532329"), &xixia_officer_).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Written(), std::vector<size_t>({0, 0, 0, 0}));
  EXPECT_EQ(roster_.county_reads, 0);
  // In scope, the same calls are served.
  EXPECT_TRUE(Run(Import("532329"), &wuding_officer_).ok());
  EXPECT_EQ(roster_.chunks, 1);
  EXPECT_TRUE(Run(Compare("532329"), &wuding_officer_).ok());
  EXPECT_EQ(roster_.county_reads, 1);
}

// A comparison's answer shows registered children, so it leaves only once its log rows are written, and its
// call worker (four here) does not wait for that: with the log held, six comparisons are in flight
// unanswered and nothing of them is logged, and an import, which needs a worker for each message, is still
// served. A comparison that wrote its log on its worker would be answered with the log held.
TEST_F(RosterEdgeTest, ComparisonsWaitingForTheirLog_AreNotAnswered_AndHoldNoCallWorker) {
  RosterChild not_on_the_roster;
  not_on_the_roster.resident_id_hash = "h:not-on-the-roster";
  not_on_the_roster.child_id = "child-registered-only";
  not_on_the_roster.village_code = "532329101001";
  roster_.registered = {not_on_the_roster};
  store_.HoldAccessLog();
  const size_t logged_before = store_.access_log_entries();
  constexpr size_t kComparisons = 6;
  std::atomic<int> answered{0};
  std::vector<grpc::Status> results(kComparisons);
  std::vector<std::thread> callers;
  for (size_t i = 0; i < kComparisons; ++i) {
    callers.emplace_back([&, i] {
      results[i] = Run(Compare("532329"), &wuding_officer_);
      ++answered;
    });
  }
  store_.AwaitHeldReads(kComparisons);
  EXPECT_EQ(store_.held_reads(), kComparisons) << "a comparison did not hand its rows to the log";
  EXPECT_TRUE(Run(Import("532329"), &wuding_officer_).ok());
  EXPECT_EQ(answered.load(), 0) << "a comparison was answered before its log was written";
  EXPECT_EQ(store_.access_log_entries(), logged_before);
  store_.ReleaseAccessLog();
  for (auto& c : callers) c.join();
  for (size_t i = 0; i < results.size(); ++i)
    EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].error_message();
  // Each comparison logged the one child it showed (missing from the roster).
  EXPECT_EQ(store_.access_log_entries(), logged_before + kComparisons);
}

}  // namespace
}  // namespace shouhu::registry::testing
