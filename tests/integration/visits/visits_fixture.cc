#include "tests/integration/visits/visits_fixture.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "services/visits/visit_calendar.h"

namespace shouhu::visits::testing {

void VisitsTest::SetUp() {
  RegistryTest::SetUp();
  if (HasFatalFailure()) return;
  ASSERT_OK_AND_ASSIGN(visits_database_, shouhu::testing::TestDatabase::Create(VisitsMigrations(), 8));
  visits_ids_ = std::make_unique<IdGenerator>(clock_);
  BeforeVisits();
  if (HasFatalFailure()) return;
  StartVisits();
}

void VisitsTest::TearDown() {
  StopVisits();
  visits_database_.reset();
  RegistryTest::TearDown();
}

namespace {

// The calendars these tests plan with: the shipped ones, and for a year near today whose State Council
// arrangement is not shipped yet (it is published each November), a plain-weekend stand-in, so the tests
// keep passing in December and January. Test data only: the service never invents a year.
std::string TestCalendarsDir() {
  static const std::string dir = [] {
    namespace fs = std::filesystem;
    const fs::path out = fs::temp_directory_path() / absl::StrCat("shouhu-calendars-", getpid());
    fs::create_directories(out);
    for (const auto& entry : fs::directory_iterator(SHOUHU_TEST_CALENDARS_DIR)) {
      fs::copy_file(entry.path(), out / entry.path().filename(), fs::copy_options::overwrite_existing);
    }
    const int year = static_cast<int>(ShanghaiDay(absl::Now()).year());
    for (int y = year; y <= year + 1; ++y) {
      const fs::path file = out / CalendarFileName(y);
      if (fs::exists(file)) continue;
      std::ofstream(file) << "# Test stand-in: weekends only, no holidays or make-up days.\ndate,kind,name\n";
    }
    return out.string();
  }();
  return dir;
}

}  // namespace

void VisitsTest::StartVisits() {
  VisitsConfig config;
  config.calendars_dir = TestCalendarsDir();
  config.registry_address = absl::StrCat("127.0.0.1:", server_->port());
  // Without a real training service nothing listens there: its event stream is simply never reached.
  config.training_address = training_address_.empty() ? "127.0.0.1:1" : training_address_;
  config.pii_seal_key = pii_seal_key_;
  config.pii_lookup_key = pii_lookup_key_;
  config.check_out_sweep_interval = absl::ZeroDuration();  // the tests drive the missing-check-out sweep
  config.safeguarding_sync_poll = absl::ZeroDuration();    // and the safeguarding calls' sync
  const ServiceContext context{
      service_config_, visits_database_->pool(), visits_clock_, *visits_ids_, logger_, metrics_,
      *verifier_,      visits_identity_,         workers_};
  std::unique_ptr<shouhu::testing::FakeTrainingClient> training;
  if (training_address_.empty()) {
    training = std::make_unique<shouhu::testing::FakeTrainingClient>();
    training_ = training.get();
  }
  ASSERT_OK_AND_ASSIGN(visits_, VisitsModule::Create(context, config, std::move(training)));
  visits_server_ = std::make_unique<shouhu::testing::TestServer>(
      std::vector<std::pair<grpc::Service*, std::string>>{{&visits_->service(), kVisitsServiceName}});
  visits_stub_ = v1::VisitsService::NewStub(visits_server_->channel());
}

void VisitsTest::StopVisits() {
  visits_server_.reset();
  visits_.reset();
  training_ = nullptr;
}

void VisitsTest::AwaitRegistryEvents() {
  const std::vector<common::v1::Event> published = Events();
  ASSERT_FALSE(published.empty());
  const int64_t last = published.back().sequence();
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  while (visits_->registry_consumer().Checkpoint().value_or(0) < last && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_OK_AND_ASSIGN(int64_t checkpoint, visits_->registry_consumer().Checkpoint());
  ASSERT_EQ(checkpoint, last);
}

absl::StatusOr<v1::VisitPlan> VisitsTest::ChildPlan(const Principal& as, const std::string& child_id) {
  v1::GetChildVisitPlanRequest request;
  request.set_child_id(child_id);
  v1::GetChildVisitPlanResponse response;
  auto context = principals_.Context(as);
  grpc::Status status = visits_stub_->GetChildVisitPlan(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response.plan();
}

std::vector<std::string> VisitsTest::PlanRows() {
  std::vector<std::string> rows;
  absl::Status read = visits_database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows result,
                     session.Query("SELECT case_id, child_id, village_code, organisation_id, risk, is_open,"
                                   " opened_on, last_completed_visit, last_visitor_id, next_due_day,"
                                   " next_visit_kind, last_event_sequence, updated_at FROM case_plans"
                                   " ORDER BY case_id"));
    for (const db::Row& row : result) {
      std::vector<std::string> cells;
      for (size_t i = 0; i < row.size(); ++i) cells.push_back(row.OptString(i).value_or("NULL"));
      rows.push_back(absl::StrJoin(cells, "|"));
    }
    return absl::OkStatus();
  });
  EXPECT_OK(read);
  return rows;
}

}  // namespace shouhu::visits::testing
