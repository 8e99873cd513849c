// Which program an urgent need found on a visit is drafted into (visits' UrgentNeedFound → an
// emergency-relief application draft), and for how much — or why none fits. Pure: the follower gathers the
// programs whose jurisdiction holds the child's village, this chooses.
//
// A program fits when it is running (funded, today inside its period), allows emergency relief, its
// jurisdiction holds the village, and what is left of its budget covers the draft. Among those that fit, the
// narrowest jurisdiction wins (the county's own program before the province's: it knows the household), then
// the one with most left, then the smaller id. The draft asks for the visitor's estimate, capped at the
// program's per-payment cap; with no estimate it asks for the cap, and the caseworker adjusts it before
// submitting — a draft moves no money.
#ifndef SHOUHU_SERVICES_ALLOWANCE_RELIEF_PROGRAM_CHOICE_H_
#define SHOUHU_SERVICES_ALLOWANCE_RELIEF_PROGRAM_CHOICE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace shouhu::allowance {

struct ReliefCandidate {
  std::string program_id;
  std::string division_prefix;  // the program's jurisdiction
  bool running = false;
  bool allows_emergency_relief = false;
  int64_t available_fen = 0;        // budget left: neither reserved nor paid
  int64_t per_payment_cap_fen = 0;  // 0: no cap
};

struct ReliefChoice {
  std::string program_id;  // empty: none fits, see `why_none`
  int64_t amount_fen = 0;
  std::string why_none;  // for the record kept when no draft is made; names no person
};

ReliefChoice ChooseReliefProgram(absl::string_view division_code, int64_t estimated_amount_fen,
                                 const std::vector<ReliefCandidate>& candidates);

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_RELIEF_PROGRAM_CHOICE_H_
