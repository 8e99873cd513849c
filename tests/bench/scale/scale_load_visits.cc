// The scale loader's the visits: weekends planned per county and their reports submitted (scale_loader.h).
#include "tests/bench/scale/scale_loader.h"

namespace shouhu::bench {

namespace {

// Two 64-bit hashes of `s` (FNV-1a and an LCG fold): the same on every run and machine.
std::pair<uint64_t, uint64_t> StableHashes(const std::string& s) {
  uint64_t h1 = 1469598103934665603ull, h2 = 1099511628211ull;
  for (unsigned char c : s) {
    h1 = (h1 ^ c) * 1099511628211ull;
    h2 = (h2 + c) * 6364136223846793005ull + 1442695040888963407ull;
  }
  return {h1, h2};
}

}  // namespace

// A UUID (version 4 form) made from the assignment id, so a re-sent report is the same report.
std::string Loader::ReportId(const std::string& assignment_id) {
  const auto [h1, h2] = StableHashes(assignment_id);
  std::string hex = absl::StrFormat("%016x%016x", h1, h2);
  hex[12] = '4';
  hex[16] = "89ab"[h2 % 4];
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-", hex.substr(16, 4),
                      "-", hex.substr(20));
}

// The report is a function of the assignment alone: a run resumed midway re-sends what the interrupted run
// sent, whatever order the weekend's assignments came back in (one in 20 children not at home).
vis::VisitReport Loader::ReportFor(const std::string& assignment_id) {
  vis::VisitReport report;
  report.set_report_id(ReportId(assignment_id));
  report.set_assignment_id(assignment_id);
  report.set_outcome(StableHashes(assignment_id).first % 20 == 0 ? vis::VISIT_OUTCOME_CHILD_NOT_AT_HOME
                                                                 : vis::VISIT_OUTCOME_COMPLETED);
  return report;
}

// The weekend's assignments per county (assignment id, child id), planned now or read back from the file
// an earlier run wrote when it planned them.
bool Loader::PlanWeekend(const std::string& weekend,
                         std::vector<std::pair<std::string, std::string>>& assignments,
                         const std::vector<std::string>& counties, LoadFigures& figures,
                         std::map<int, int64_t>& unplaced, absl::CivilDay& last_visit_day) {
  const std::string folder = dir_ + "/assignments";
  std::filesystem::create_directories(folder);
  std::mutex mu;
  // Each county's assignments in its own slot, joined in the counties' order: the weekend's list (and so its
  // report batches and the share kept for the mix) is the same on a resumed run.
  std::vector<std::vector<std::pair<std::string, std::string>>> by_county(counties.size());
  LoadOptions options;
  options.concurrency = std::min<int>(4, absl::GetFlag(FLAGS_concurrency));
  options.requests = static_cast<int64_t>(counties.size());
  figures = RunLoad(options, {"PlanWeekend"}, [&](int, int64_t n, CallLog& log) {
    const std::string& county = counties[static_cast<size_t>(n)];
    const std::string file = absl::StrCat(folder, "/", weekend, "-", county, ".tsv");
    std::vector<std::pair<std::string, std::string>>& mine = by_county[static_cast<size_t>(n)];
    // A visit day past the weekend's Sunday (a holiday's run of days), the latest the county's plan holds.
    auto note_day = [&](const std::string& text) {
      absl::CivilDay day;
      if (!absl::ParseCivilTime(text, &day)) return;
      std::lock_guard<std::mutex> lock(mu);
      last_visit_day = std::max(last_visit_day, day);
    };
    if (std::filesystem::exists(file)) {
      for (const auto& r : ReadRecords(file)) {
        mine.emplace_back(r[0], r.size() > 1 ? r[1] : "");
        if (r.size() > 2) note_day(r[2]);
      }
    } else {
      auto stub = vis::VisitsService::NewStub(ChannelFor(n));
      vis::PlanWeekendRequest request;
      // A plan is idempotent under its request id: an id of this run's own, so a weekend that an earlier
      // run planned before the cases arrived (an empty answer, not saved) is planned afresh. Planning again
      // keeps what was placed before.
      request.set_request_id(absl::StrCat("scale-plan-", county, "-", weekend, "-", run_id_));
      request.set_division_prefix(county);
      request.set_weekend_date(weekend);
      vis::PlanWeekendResponse response;
      if (!log.Timed(0,
                     [&] {
                       return LoadCallAs(*stub, &vis::VisitsService::Stub::PlanWeekend, Token("officer"),
                                         request, &response, absl::Minutes(5));
                     })
               .ok()) {
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        for (const vis::UnplacedVisit& u : response.unplaced()) ++unplaced[u.reason()];
      }
      std::ofstream out(file + ".part");
      for (const vis::Assignment& a : response.assignments()) {
        mine.emplace_back(a.assignment_id(), a.child_id());
        out << a.assignment_id() << '\t' << a.child_id() << '\t' << a.visit_date() << '\n';
        note_day(a.visit_date());
      }
      out.close();
      // A weekend that placed nothing is planned again by the next run (the cases may have arrived since).
      if (mine.empty()) {
        std::filesystem::remove(file + ".part");
      } else {
        std::filesystem::rename(file + ".part", file);
      }
    }
  });
  for (const auto& mine : by_county) assignments.insert(assignments.end(), mine.begin(), mine.end());
  return figures.Errors() == 0;
}

// The visits service plans from the registry's case events, which it follows on its own: a weekend planned
// before it has folded in the cases (and their risk levels) places nothing. Waits until a sample of the
// data set's children, spread over it, have a plan at their graded risk level; prints how long that took.
bool Loader::AwaitVisitPlans() {
  const auto children = ReadRecords(dir_ + "/children.tsv");
  if (children.empty()) {
    std::fprintf(stderr, "!!! no children.tsv: load the cases first\n");
    return false;
  }
  constexpr size_t kSample = 40;
  std::vector<std::vector<std::string>> sample;
  for (size_t i = 0; i < kSample; ++i)
    sample.push_back(children[(i * 7 + 3) * children.size() / (kSample * 7)]);
  auto stub = vis::VisitsService::NewStub(ChannelFor(0));
  const absl::Time began = absl::Now();
  size_t ready = 0;
  while (absl::Now() - began < absl::Minutes(15)) {
    ready = 0;
    for (const auto& child : sample) {
      vis::GetChildVisitPlanRequest request;
      request.set_child_id(child[0]);
      vis::GetChildVisitPlanResponse response;
      grpc::Status status = LoadCallAs(*stub, &vis::VisitsService::Stub::GetChildVisitPlan, Token("officer"),
                                       request, &response);
      if (status.ok() && child.size() >= 5 &&
          absl::StrCat(static_cast<int>(response.plan().risk_level())) == child[4]) {
        ++ready;
      } else if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
        Check("GetChildVisitPlan", status);
        return false;
      }
    }
    std::fprintf(
        stderr,
        "\r   waiting for visits to fold in the registry's case events: %zu/%zu sampled children planned",
        ready, sample.size());
    if (ready == sample.size()) break;
    absl::SleepFor(absl::Seconds(2));
  }
  std::fprintf(stderr, "\n");
  std::printf("   visits had planned the sampled children %.0f s after the visits kind began (%zu/%zu)\n",
              absl::ToDoubleSeconds(absl::Now() - began), ready, sample.size());
  return true;
}

bool Loader::Visits(Summary& s) {
  const int64_t target = Scaled(kFullVisits);
  std::set<std::string> with_visitors;
  for (const auto& r : ReadRecords(dir_ + "/volunteers.tsv")) {
    if (r.size() >= 3) with_visitors.insert(r[2]);
  }
  const std::vector<std::string> counties(with_visitors.begin(), with_visitors.end());
  if (counties.empty()) {
    std::fprintf(stderr, "!!! no visitors: load the volunteers first\n");
    return false;
  }
  if (!AwaitVisitPlans()) return false;
  const absl::Time deadline = absl::Now() + absl::Minutes(absl::GetFlag(FLAGS_visit_minutes));
  // The first Saturday after today (Asia/Shanghai).
  absl::CivilDay saturday = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)) + 1;
  while (absl::GetWeekday(saturday) != absl::Weekday::saturday) ++saturday;
  int64_t reported = 0, planned = 0, kept = 0, earlier = 0;
  double plan_seconds = 0, report_seconds = 0;
  std::ofstream keep(dir_ + "/mix-assignments.tsv", std::ios::app);
  // Kept by earlier runs, perhaps from the weekend this run resumes: not reported, and not kept twice.
  std::set<std::string> kept_earlier;
  for (const auto& r : ReadRecords(dir_ + "/mix-assignments.tsv")) kept_earlier.insert(r[0]);
  const int64_t kept_before = static_cast<int64_t>(kept_earlier.size());
  bool ok = true;
  int weekends = 0, empty_weekends = 0;
  bool no_calendar = false;
  for (int w = 0;
       w < absl::GetFlag(FLAGS_max_weekends) && reported + earlier < target && absl::Now() < deadline;
       ++w, saturday += 7) {
    const std::string weekend = absl::FormatCivilTime(saturday);
    if (progress_.Done("visits", weekend)) {
      earlier += std::stoll(progress_.Value("visits", weekend));
      continue;
    }
    std::vector<std::pair<std::string, std::string>> assignments;
    LoadFigures plan;
    std::map<int, int64_t> unplaced;
    // Sunday unless a holiday's run of days holds a visit later (or an earlier run's file did not say).
    absl::CivilDay last_visit_day = saturday + 1;
    ok = PlanWeekend(weekend, assignments, counties, plan, unplaced, last_visit_day);
    if (!unplaced.empty()) {
      // Why the planner left visits out (visits' UnplacedReason: 2 nobody qualified nearby, 3 no second
      // adult, 4 capacity).
      std::string reasons;
      for (const auto& [reason, count] : unplaced)
        absl::StrAppend(&reasons, " reason ", reason, ": ", count, ";");
      std::printf("   weekend %s: unplaced visits:%s\n", weekend.c_str(), reasons.c_str());
    }
    plan_seconds += plan.seconds;
    ++weekends;
    if (!ok) {
      // Visits plans only weekends of years whose official holiday calendar it holds (CN-<year>.csv): past
      // the last one, planning ends there, and that is no failure of the load.
      const MethodFigures& m = plan.methods[0];
      if (m.error_codes.size() == 1 &&
          m.error_codes.count(static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION)) &&
          m.first_error.find("calendar") != std::string::npos) {
        std::printf("   weekend %s: not plannable (%s); visits end here\n", weekend.c_str(),
                    m.first_error.c_str());
        ok = true;
        no_calendar = true;
      } else {
        Report(plan);
      }
      break;
    }
    planned += static_cast<int64_t>(assignments.size());
    if (assignments.empty()) {
      // Nothing due yet, or nobody to send: two such weekends in a row end the kind.
      std::printf("   weekend %s: nothing placed\n", weekend.c_str());
      if (++empty_weekends == 2) break;
      continue;
    }
    empty_weekends = 0;
    // Every fifth assignment is kept for the mix's reports, up to --mix_assignments.
    std::vector<std::string> to_report;
    for (size_t i = 0; i < assignments.size(); ++i) {
      if (kept_earlier.count(assignments[i].first)) continue;
      if (i % 5 == 4 && kept_before + kept < absl::GetFlag(FLAGS_mix_assignments)) {
        keep << assignments[i].first << '\t' << assignments[i].second << '\n';
        ++kept;
      } else {
        to_report.push_back(assignments[i].first);
      }
    }
    keep.flush();
    // Visits takes a report once its visit day has come: its calendar moves to the Monday morning after the
    // weekend's last visit day (8:00 in Shanghai), when a week's reports come in. The weekends after it are
    // still ahead of that calendar when they are planned.
    absl::StatusOr<int64_t> ahead =
        MoveClockTo(dir_ + "/visits-clock-ahead",
                    absl::FromCivil(absl::CivilSecond(last_visit_day + 1) + 8 * 3600, ShanghaiTimeZone()));
    if (!ahead.ok()) {
      std::fprintf(stderr, "!!! visits' clock: %s\n", std::string(ahead.status().message()).c_str());
      ok = false;
      break;
    }
    std::printf("   weekend %s: visits' calendar moved to %s (%.1f days ahead of the machine's)\n",
                weekend.c_str(), absl::FormatCivilTime(last_visit_day + 1).c_str(),
                static_cast<double>(*ahead) / 86400);
    constexpr int kBatch = 50;
    const int64_t batches = (static_cast<int64_t>(to_report.size()) + kBatch - 1) / kBatch;
    std::atomic<int64_t> stored{0};
    admin::ProgressBar bar(std::cerr, static_cast<int64_t>(to_report.size()),
                           absl::StrCat("reports ", weekend));
    LoadOptions options;
    options.concurrency = absl::GetFlag(FLAGS_concurrency);
    options.requests = batches;
    options.progress = [&](int64_t done) { bar.Update(std::min<int64_t>(done * kBatch, to_report.size())); };
    LoadFigures figures = RunLoad(options, {"SubmitVisitReports"}, [&](int, int64_t n, CallLog& log) {
      auto stub = vis::VisitsService::NewStub(ChannelFor(n));
      vis::SubmitVisitReportsRequest request;
      request.set_request_id(absl::StrCat("scale-reports-", weekend, "-", n));
      const size_t from = static_cast<size_t>(n * kBatch);
      for (size_t i = from; i < std::min(to_report.size(), from + kBatch); ++i) {
        *request.add_reports() = ReportFor(to_report[i]);
      }
      vis::SubmitVisitReportsResponse response;
      grpc::Status status = log.Timed(0, [&] {
        return LoadCallAs(*stub, &vis::VisitsService::Stub::SubmitVisitReports, Token("ngo_admin"), request,
                          &response);
      });
      if (!status.ok()) return;
      for (const vis::ReportResult& r : response.results()) {
        if (r.code() == 0) {
          ++stored;
        } else {
          // A report refused inside an answered batch is an error of the load too.
          log.Add(0,
                  grpc::Status(static_cast<grpc::StatusCode>(r.code()),
                               absl::StrCat(r.field(), ": ", r.message())),
                  absl::ZeroDuration());
        }
      }
    });
    bar.Finish(static_cast<int64_t>(to_report.size()));
    report_seconds += figures.seconds;
    reported += stored.load();
    std::printf("   weekend %s: %zu visits placed in %.1f s, %lld reports stored in %.1f s (%.0f/s)\n",
                weekend.c_str(), assignments.size(), plan.seconds, static_cast<long long>(stored.load()),
                figures.seconds,
                figures.seconds > 0 ? static_cast<double>(stored.load()) / figures.seconds : 0);
    if (!Report(figures)) {
      ok = false;
      break;
    }
    progress_.Mark("visits", weekend, absl::StrCat(stored.load()));
  }
  s.count = reported;
  s.note = absl::StrFormat(
      "reports (target %lld: %lld loaded in all, %lld of them before; %d weekends planned now: %lld visits "
      "placed "
      "in %.0f s of planning, reports %.0f/s; %lld kept for the mix%s)",
      static_cast<long long>(target), static_cast<long long>(reported + earlier),
      static_cast<long long>(earlier), weekends, static_cast<long long>(planned), plan_seconds,
      report_seconds > 0 ? static_cast<double>(reported) / report_seconds : 0, static_cast<long long>(kept),
      no_calendar ? "; stopped at the first weekend without a holiday calendar" : "");
  return ok;
}

}  // namespace shouhu::bench
