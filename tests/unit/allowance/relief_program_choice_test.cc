// Which program an urgent need is drafted into: the narrowest running jurisdiction that allows emergency
// relief and has the money, the amount capped; and, when none fits, the reason.
#include "services/allowance/relief_program_choice.h"

#include <gtest/gtest.h>

namespace shouhu::allowance {
namespace {

const char kVillage[] = "530323100201";

ReliefCandidate Program(std::string id, std::string prefix, int64_t available = 1'000'000,
                        int64_t cap = 50'000) {
  ReliefCandidate p;
  p.program_id = std::move(id);
  p.division_prefix = std::move(prefix);
  p.running = true;
  p.allows_emergency_relief = true;
  p.available_fen = available;
  p.per_payment_cap_fen = cap;
  return p;
}

TEST(ReliefProgramChoice, NarrowestJurisdictionWins) {
  const ReliefChoice c = ChooseReliefProgram(
      kVillage, 30'000,
      {Program("PROV", "53", 9'000'000), Program("COUNTY", "530323"), Program("CITY", "5303")});
  EXPECT_EQ(c.program_id, "COUNTY");
  EXPECT_EQ(c.amount_fen, 30'000);
  EXPECT_TRUE(c.why_none.empty());
}

TEST(ReliefProgramChoice, EstimateCappedAndNoEstimateAsksForTheCap) {
  EXPECT_EQ(ChooseReliefProgram(kVillage, 80'000, {Program("A", "530323")}).amount_fen, 50'000);
  EXPECT_EQ(ChooseReliefProgram(kVillage, 0, {Program("A", "530323")}).amount_fen, 50'000);
  EXPECT_EQ(ChooseReliefProgram(kVillage, 80'000, {Program("A", "530323", 1'000'000, 0)}).amount_fen, 80'000);
}

TEST(ReliefProgramChoice, SkipsProgramsThatCannotPay) {
  ReliefCandidate stopped = Program("STOPPED", "530323100");
  stopped.running = false;
  ReliefCandidate tuition_only = Program("TUITION", "53032310");
  tuition_only.allows_emergency_relief = false;
  const ReliefCandidate poor = Program("POOR", "5303231", 10'000);
  const ReliefCandidate elsewhere = Program("ELSEWHERE", "530324");
  const ReliefChoice c =
      ChooseReliefProgram(kVillage, 30'000, {stopped, tuition_only, poor, elsewhere, Program("PROV", "53")});
  EXPECT_EQ(c.program_id, "PROV");
}

TEST(ReliefProgramChoice, NoneFits_SaysWhy) {
  struct Row {
    std::vector<ReliefCandidate> candidates;
    int64_t estimate;
    const char* why;
  };
  ReliefCandidate stopped = Program("A", "530323");
  stopped.running = false;
  ReliefCandidate no_relief = Program("A", "530323");
  no_relief.allows_emergency_relief = false;
  const Row rows[] = {
      {{}, 1, "no program covers the child's division"},
      {{Program("A", "530324")}, 1, "no program covers the child's division"},
      {{stopped}, 1, "no program covering the child's division is running"},
      {{stopped, no_relief}, 1, "no running program in the division allows emergency relief"},
      {{Program("A", "530323", 1'000'000, 0)},
       0,
       "no estimate and no per-payment cap to draft an amount from"},
      {{Program("A", "530323", 10'000)},
       30'000,
       "no emergency-relief program in the division has enough budget left"},
  };
  for (const Row& row : rows) {
    const ReliefChoice c = ChooseReliefProgram(kVillage, row.estimate, row.candidates);
    EXPECT_TRUE(c.program_id.empty());
    EXPECT_EQ(c.why_none, row.why);
  }
}

}  // namespace
}  // namespace shouhu::allowance
