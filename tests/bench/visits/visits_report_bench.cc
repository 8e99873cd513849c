// Report upload rate: SubmitVisitReports in batches of --batch reports (30 by default: a team's weekend)
// over real gRPC on loopback to the visits service's edge, store and outbox, built in this process against
// the MariaDB that SHOUHU_TEST_DB_SOCKET names (tests/bench/visits/run-reports starts one and runs sysbench
// oltp_insert on it at the same concurrencies for the baseline). Each client thread keeps one call in
// flight; every report is new (a fresh UUID for a fresh assignment), so each is one transaction with its
// outbox event. Prints one JSON line per concurrency: reports per second, batches, errors, p50/p95 of a
// batch. No timed assertions: figures only.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/call_identity.h"
#include "common/call_workers.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/pii_crypto.h"
#include "common/principal.h"
#include "common/status_macros.h"
#include "services/visits/field_visit_store.h"
#include "services/visits/group_activity_store.h"
#include "services/visits/safeguarding_desk.h"
#include "services/visits/safeguarding_store.h"
#include "services/visits/visit_calendar.h"
#include "services/visits/visits_service.h"
#include "services/visits/visits_store.h"
#include "tests/support/fake_registry_client.h"
#include "tests/support/fake_training_client.h"
#include "tests/support/test_database.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_server.h"

ABSL_FLAG(std::string, concurrency, "1,16,64", "client threads, one call in flight each, per run");
ABSL_FLAG(int, batch, 30, "reports per SubmitVisitReports");
ABSL_FLAG(double, seconds, 10, "length of each run");
ABSL_FLAG(int, pool_size, 32, "database connections (and call workers) of the service");
ABSL_FLAG(int, assignments, 60000, "assignments seeded, one report each at most");

namespace {

namespace v1 = ::shouhu::visits::v1;
using shouhu::Principal;

constexpr char kVillage[] = "532329101001";
constexpr int kVisitors = 64;

// A random version-4 UUID, lower-case canonical.
std::string Uuid(std::mt19937_64& rng) {
  const uint64_t hi = rng(), lo = rng();
  std::string hex = absl::StrFormat("%016x%016x", hi, lo);
  hex[12] = '4';
  hex[16] = "89ab"[lo % 4];
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-", hex.substr(16, 4),
                      "-", hex.substr(20));
}

// Visitors, one case each, and `count` assignments spread over them (slot k of one day), committed in chunks.
absl::StatusOr<std::vector<std::string>> Seed(shouhu::db::Pool& pool, shouhu::IdGenerator& ids, int count) {
  std::vector<std::string> visitor_ids, assignment_ids;
  RETURN_IF_ERROR(pool.Transaction([&](shouhu::db::Session& tx) -> absl::Status {
    for (int v = 0; v < kVisitors; ++v) {
      const std::string id = ids.Next();
      visitor_ids.push_back(id);
      RETURN_IF_ERROR(
          tx.Execute("INSERT INTO visitors (id, participant_id, organisation_id, home_village_code,"
                     " available_saturday, available_sunday, daily_capacity, created_by, created_at)"
                     " VALUES (?, ?, 'bench-ngo', ?, 1, 0, 4, 'bench', NOW(6))",
                     {id, absl::StrCat("bench-p-", v), std::string(kVillage)})
              .status());
      RETURN_IF_ERROR(
          tx.Execute("INSERT INTO case_plans (case_id, child_id, village_code, organisation_id, risk,"
                     " is_open, opened_on, last_event_sequence, updated_at)"
                     " VALUES (?, ?, ?, 'bench-ngo', 1, 1, '2026-11-01', 0, NOW(6))",
                     {absl::StrCat("bench-case-", v), absl::StrCat("bench-child-", v), std::string(kVillage)})
              .status());
    }
    return absl::OkStatus();
  }));
  constexpr int kChunk = 2000;
  for (int start = 0; start < count; start += kChunk) {
    RETURN_IF_ERROR(pool.Transaction([&](shouhu::db::Session& tx) -> absl::Status {
      for (int i = start; i < std::min(count, start + kChunk); ++i) {
        const int v = i % kVisitors;
        const std::string id = ids.Next();
        RETURN_IF_ERROR(
            tx.Execute("INSERT INTO visit_assignments (id, case_id, child_id, visitor_id, visit_day,"
                       " slot, planned_by, created_at) VALUES (?, ?, ?, ?, '2026-11-28', ?, 'bench',"
                       " NOW(6))",
                       {id, absl::StrCat("bench-case-", v), absl::StrCat("bench-child-", v), visitor_ids[v],
                        int64_t{i / kVisitors}})
                .status());
        assignment_ids.push_back(id);
      }
      return absl::OkStatus();
    }));
  }
  return assignment_ids;
}

v1::VisitReport Report(const std::string& report_id, const std::string& assignment_id) {
  v1::VisitReport r;
  r.set_report_id(report_id);
  r.set_assignment_id(assignment_id);
  r.set_outcome(v1::VISIT_OUTCOME_COMPLETED);
  for (int aspect = 1; aspect <= 7; ++aspect) {
    v1::Observation* o = r.add_observations();
    o->set_aspect(static_cast<v1::ObservationAspect>(aspect));
    o->set_rating(v1::OBSERVATION_RATING_ADEQUATE);
    o->set_note("孩子精神状态良好, 作业按时完成");
  }
  v1::FollowUpTask* t = r.add_follow_ups();
  t->set_description("下次走访带冬衣");
  t->set_owner("director-1");
  t->set_due_date("2026-12-31");
  r.set_summary("祖母照顾, 生活基本有保障");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace shouhu;
  const int batch = absl::GetFlag(FLAGS_batch);
  absl::StatusOr<std::unique_ptr<testing::TestDatabase>> database =
      testing::TestDatabase::Create(VisitsMigrations(), absl::GetFlag(FLAGS_pool_size));
  if (!database.ok()) {
    std::fprintf(stderr, "database: %s\n", database.status().ToString().c_str());
    return 1;
  }
  SystemClock clock;
  IdGenerator ids(clock);
  absl::StatusOr<std::vector<std::string>> assignments =
      Seed((*database)->pool(), ids, absl::GetFlag(FLAGS_assignments));
  if (!assignments.ok()) {
    std::fprintf(stderr, "seed: %s\n", assignments.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<visits::YearCalendar> year = visits::ParseYearCalendar(2026, "date,kind,name\n");
  absl::StatusOr<visits::VisitCalendar> calendar = year.ok()
                                                       ? visits::VisitCalendar::Create({*year})
                                                       : absl::StatusOr<visits::VisitCalendar>(year.status());
  if (!calendar.ok()) {
    std::fprintf(stderr, "calendar: %s\n", calendar.status().ToString().c_str());
    return 1;
  }
  Outbox outbox((*database)->pool(), ids);
  visits::MariaDbVisitsStore store((*database)->pool(), ids);
  // Reports are sealed as the service seals them (its cost is part of a report's).
  absl::StatusOr<PiiCrypto> crypto = PiiCrypto::Create(std::string(32, 's'), std::string(32, 'l'));
  if (!crypto.ok()) {
    std::fprintf(stderr, "pii keys: %s\n", crypto.status().ToString().c_str());
    return 1;
  }
  visits::MariaDbFieldVisitStore field((*database)->pool(), outbox, visits::VisitTimes{}, *crypto,
                                       visits::CadencePolicy{});
  testing::FakeTrainingClient training;
  PrincipalVerifier verifier(testing::TestTrustedKeys(), clock);
  CallWorkers workers(absl::GetFlag(FLAGS_pool_size));
  // The safeguarding and group-activity parts are wired as the module does; the benchmark does not call them.
  visits::MariaDbSafeguardingStore safeguarding((*database)->pool(), ids, *crypto);
  ServiceIdentity identity("visits", testing::TestServiceKey("visits"), clock);
  Logger logger("visits-report-bench");
  visits::SafeguardingDesk desk(safeguarding, training, identity, logger);
  visits::MariaDbGroupActivityStore groups((*database)->pool(), ids);
  testing::FakeRegistryClient access_log;  // the benchmark submits reports; it reads none
  visits::VisitsService service(store, field, visits::CadencePolicy(), *calendar, training, safeguarding,
                                desk, groups, access_log, identity, verifier, clock, workers);
  testing::TestServer server({{&service, "shouhu.visits.v1.VisitsService"}});
  testing::TestPrincipals principals(clock);
  const Principal caseworker =
      testing::MakePrincipal("bench-caseworker", "bench-ngo", common::v1::ROLE_NGO_CASEWORKER, {"532329"});

  std::atomic<size_t> next_assignment{0};
  for (absl::string_view level : absl::StrSplit(absl::GetFlag(FLAGS_concurrency), ',')) {
    int concurrency = 0;
    if (!absl::SimpleAtoi(level, &concurrency) || concurrency < 1) return 2;
    std::atomic<int64_t> reports{0}, failed{0};
    std::vector<std::vector<double>> latencies(concurrency);
    const absl::Time start = absl::Now();
    const absl::Time end = start + absl::Seconds(absl::GetFlag(FLAGS_seconds));
    std::vector<std::thread> clients;
    for (int c = 0; c < concurrency; ++c) {
      clients.emplace_back([&, c] {
        std::mt19937_64 rng(std::random_device{}() + c);
        auto stub = v1::VisitsService::NewStub(server.channel());
        while (absl::Now() < end) {
          const size_t first = next_assignment.fetch_add(batch);
          if (first + batch > assignments->size()) {
            failed += 1;  // out of seeded assignments: raise --assignments
            return;
          }
          v1::SubmitVisitReportsRequest request;
          request.set_request_id(Uuid(rng));
          for (int i = 0; i < batch; ++i)
            *request.add_reports() = Report(Uuid(rng), (*assignments)[first + i]);
          v1::SubmitVisitReportsResponse response;
          auto context = principals.Context(caseworker);
          const absl::Time sent = absl::Now();
          const grpc::Status status = stub->SubmitVisitReports(context.get(), request, &response);
          latencies[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - sent));
          if (!status.ok()) {
            std::fprintf(stderr, "call failed: %d %s\n", status.error_code(), status.error_message().c_str());
            failed += 1;
            continue;
          }
          for (const v1::ReportResult& r : response.results()) {
            if (r.code() == 0) {
              reports += 1;
            } else {
              failed += 1;
            }
          }
        }
      });
    }
    for (std::thread& t : clients) t.join();
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
      return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))];
    };
    std::printf(
        "{\"concurrency\":%d,\"batch\":%d,\"batches\":%zu,\"reports\":%lld,\"errors\":%lld,\"seconds\":%.2f,"
        "\"reports_per_second\":%.1f,\"batch_p50_ms\":%.1f,\"batch_p95_ms\":%.1f}\n",
        concurrency, batch, all.size(), static_cast<long long>(reports.load()),
        static_cast<long long>(failed.load()), seconds, reports.load() / seconds, pct(0.5), pct(0.95));
    std::fflush(stdout);
  }
  return 0;
}
