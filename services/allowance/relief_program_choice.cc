#include "services/allowance/relief_program_choice.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/match.h"

namespace shouhu::allowance {
namespace {

int64_t DraftAmount(int64_t estimated_amount_fen, const ReliefCandidate& program) {
  if (estimated_amount_fen <= 0) return program.per_payment_cap_fen;
  if (program.per_payment_cap_fen > 0) return std::min(estimated_amount_fen, program.per_payment_cap_fen);
  return estimated_amount_fen;
}

}  // namespace

ReliefChoice ChooseReliefProgram(absl::string_view division_code, int64_t estimated_amount_fen,
                                 const std::vector<ReliefCandidate>& candidates) {
  // The furthest a candidate got, to say why none fits: 0 outside the jurisdiction, 1 not running, 2 no
  // emergency relief, 3 no amount to ask for, 4 not enough left.
  int furthest = -1;
  const ReliefCandidate* best = nullptr;
  int64_t best_amount = 0;
  for (const ReliefCandidate& program : candidates) {
    if (program.division_prefix.empty() || !absl::StartsWith(division_code, program.division_prefix)) {
      furthest = std::max(furthest, 0);
      continue;
    }
    if (!program.running) {
      furthest = std::max(furthest, 1);
      continue;
    }
    if (!program.allows_emergency_relief) {
      furthest = std::max(furthest, 2);
      continue;
    }
    const int64_t amount = DraftAmount(estimated_amount_fen, program);
    if (amount <= 0) {
      furthest = std::max(furthest, 3);
      continue;
    }
    if (program.available_fen < amount) {
      furthest = std::max(furthest, 4);
      continue;
    }
    auto rank = [](const ReliefCandidate& p) {
      return std::make_tuple(-static_cast<int64_t>(p.division_prefix.size()), -p.available_fen, p.program_id);
    };
    if (best == nullptr || rank(program) < rank(*best)) {
      best = &program;
      best_amount = amount;
    }
  }
  ReliefChoice choice;
  if (best != nullptr) {
    choice.program_id = best->program_id;
    choice.amount_fen = best_amount;
    return choice;
  }
  switch (furthest) {
    case -1:
    case 0:
      choice.why_none = "no program covers the child's division";
      break;
    case 1:
      choice.why_none = "no program covering the child's division is running";
      break;
    case 2:
      choice.why_none = "no running program in the division allows emergency relief";
      break;
    case 3:
      choice.why_none = "no estimate and no per-payment cap to draft an amount from";
      break;
    default:
      choice.why_none = "no emergency-relief program in the division has enough budget left";
      break;
  }
  return choice;
}

}  // namespace shouhu::allowance
