#include "services/allowance/urgent_need_follower.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "shouhu/visits/v1/events.pb.h"

namespace shouhu::allowance {
namespace {

namespace vv1 = ::shouhu::visits::v1;

const char* NeedName(vv1::UrgentNeedKind kind) {
  switch (kind) {
    case vv1::URGENT_NEED_KIND_FOOD:
      return "food";
    case vv1::URGENT_NEED_KIND_CLOTHING_BEDDING:
      return "clothing or bedding";
    case vv1::URGENT_NEED_KIND_MEDICAL:
      return "medical";
    case vv1::URGENT_NEED_KIND_SCHOOLING:
      return "schooling";
    case vv1::URGENT_NEED_KIND_HOUSING:
      return "housing";
    default:
      return "other";
  }
}

}  // namespace

absl::Status UrgentNeedFollower::Apply(db::Session& tx, const common::v1::Event& event) const {
  if (!event.payload().Is<vv1::UrgentNeedFound>()) return absl::OkStatus();
  vv1::UrgentNeedFound need;
  if (!event.payload().UnpackTo(&need) || need.report_id().empty() || need.child_id().empty() ||
      !ValidateDivisionCode(need.division_code(), "division_code").ok()) {
    // It can never apply; refusing it would stop the stream for every other need.
    logger_.Warn("urgent need skipped: unreadable or incomplete", {{"sequence", event.sequence()}});
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(bool seen, MonthlyRosterStore::UrgentNeedSeen(tx, need.report_id()));
  if (seen) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(std::vector<ReliefCandidate> candidates,
                   MonthlyRosterStore::ReliefCandidates(tx, need.division_code(), ShanghaiDay(now)));
  MonthlyRosterStore::UrgentNeedDraft draft;
  draft.report_id = need.report_id();
  draft.event_sequence = event.sequence();
  draft.child_id = need.child_id();
  draft.division_code = need.division_code();
  draft.organisation_id = need.organisation_id();
  // The need's kind and report, never the summary's free text: the report holds the detail.
  draft.reason = absl::StrCat("Urgent need (", NeedName(need.kind()), ") found on a visit; see report ",
                              need.report_id());
  draft.choice = ChooseReliefProgram(need.division_code(), need.estimated_amount_fen(), candidates);
  ASSIGN_OR_RETURN(std::string application_id, store_.RecordUrgentNeed(tx, draft, now));
  if (application_id.empty()) {
    logger_.Info("urgent need recorded without a draft",
                 {{"report_id", need.report_id()}, {"why", draft.choice.why_none}});
  }
  return absl::OkStatus();
}

}  // namespace shouhu::allowance
