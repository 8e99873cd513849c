#include "services/allowance/living_allowance_follower.h"

#include <optional>
#include <string>

#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/allowance/monthly_roster_store.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::allowance {
namespace {

namespace rv1 = ::shouhu::registry::v1;

struct Stop {
  std::string child_id;
  google::protobuf::Timestamp at;
  StopReason reason;
};

// The stop an event means, nothing for events of no interest, or nullopt-with-false for an unreadable one.
std::optional<Stop> StopOf(const common::v1::Event& event, bool& unreadable) {
  const google::protobuf::Any& payload = event.payload();
  unreadable = false;
  if (payload.Is<rv1::CaseClosed>()) {
    rv1::CaseClosed e;
    if (!payload.UnpackTo(&e)) return unreadable = true, std::nullopt;
    return Stop{e.child_id(), e.at(), StopReason::kCaseClosed};
  }
  if (payload.Is<rv1::CaseTransferred>()) {
    rv1::CaseTransferred e;
    if (!payload.UnpackTo(&e)) return unreadable = true, std::nullopt;
    return Stop{e.child_id(), e.at(), StopReason::kCaseTransferred};
  }
  // A case handed to another county is that county's to fund from its own program, as a case handed to
  // another organisation is: the sending county's allowance stops the same way.
  if (payload.Is<rv1::CaseMovedCounty>()) {
    rv1::CaseMovedCounty e;
    if (!payload.UnpackTo(&e)) return unreadable = true, std::nullopt;
    return Stop{e.child_id(), e.at(), StopReason::kCaseTransferred};
  }
  if (payload.Is<rv1::CareArrangementChanged>()) {
    rv1::CareArrangementChanged e;
    if (!payload.UnpackTo(&e)) return unreadable = true, std::nullopt;
    if (e.type() != rv1::CARE_ARRANGEMENT_TYPE_CHILD_WELFARE_INSTITUTION) return std::nullopt;
    return Stop{e.child_id(), e.at(), StopReason::kLeftCategory};
  }
  return std::nullopt;
}

}  // namespace

absl::Status LivingAllowanceFollower::Apply(db::Session& tx, const common::v1::Event& event) const {
  if (event.payload().Is<rv1::CaseReopened>()) {
    rv1::CaseReopened e;
    if (!event.payload().UnpackTo(&e) || e.child_id().empty()) {
      logger_.Warn("registry event skipped: unreadable payload", {{"sequence", event.sequence()}});
      return absl::OkStatus();
    }
    // New applications may be made again; the monthly enrolments stopped stay stopped (a reopened case
    // needs a new application, living_allowance_rules.h).
    return MariaDbAllowanceStore::FoldCaseStanding(tx, e.child_id(), false, event.sequence(), clock_.Now())
        .status();
  }
  bool unreadable = false;
  std::optional<Stop> stop = StopOf(event, unreadable);
  if (unreadable) {
    // It can never apply; refusing it would stop the stream for every other child.
    logger_.Warn("registry event skipped: unreadable payload", {{"sequence", event.sequence()}});
    return absl::OkStatus();
  }
  if (!stop || stop->child_id.empty()) return absl::OkStatus();
  const absl::Time at = FromProtoTimestamp(stop->at);
  // Only a close blocks new applications. A transfer (to another organisation, or another county) leaves
  // the registry's case ACTIVE under its new owner, who may well apply for the child from its own program:
  // blocking it here would block that for good, as no reopening ever follows a transfer. So a transfer
  // stops the monthly allowance of the enrolments approved before it (ApplyStop) and nothing else; the
  // registry's eligibility answer at submission judges the rest.
  bool new_close = false;
  if (stop->reason == StopReason::kCaseClosed) {
    ASSIGN_OR_RETURN(new_close, MariaDbAllowanceStore::FoldCaseStanding(tx, stop->child_id, true,
                                                                        event.sequence(), clock_.Now()));
  }
  RETURN_IF_ERROR(MonthlyRosterStore::ApplyStop(tx, stop->child_id, ShanghaiDay(at), stop->reason,
                                                event.sequence(), clock_.Now()));
  // A replayed close (a reset checkpoint) is not new: it must not cancel what was applied for after the case
  // reopened.
  if (!new_close) return absl::OkStatus();
  const Actor canceller{kCaseClosedCanceller, "", clock_.Now()};
  ASSIGN_OR_RETURN(int cancelled, core_.CancelApplicationsOfClosedCase(tx, stop->child_id, canceller));
  if (cancelled > 0) {
    logger_.Info("applications cancelled: case closed",
                 {{"sequence", event.sequence()}, {"cancelled", cancelled}});
  }
  return absl::OkStatus();
}

}  // namespace shouhu::allowance
