#include "services/allowance/case_standing_backfill.h"

#include <optional>
#include <string>

#include "common/event_consumer.h"
#include "common/status_macros.h"
#include "services/allowance/allowance_store.h"
#include "services/allowance/living_allowance_follower.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::allowance {
namespace {

namespace rv1 = ::shouhu::registry::v1;

// A plain read, not a locking one: case_standing_backfill.h says why.
absl::StatusOr<int64_t> LivingCheckpoint(db::Session& tx) {
  return ReadCheckpoint(tx, kLivingAllowanceConsumerName);
}

}  // namespace

absl::StatusOr<CaseStandingBackfillPlan> PlanCaseStandingBackfill(db::Pool& pool) {
  CaseStandingBackfillPlan plan;
  RETURN_IF_ERROR(pool.Transaction([&](db::Session& tx) -> absl::Status {
    plan = CaseStandingBackfillPlan();
    RETURN_IF_ERROR(EnsureCheckpoint(tx, kCaseStandingBackfillConsumerName));
    ASSIGN_OR_RETURN(plan.from, LockCheckpoint(tx, kCaseStandingBackfillConsumerName));
    ASSIGN_OR_RETURN(plan.to, LivingCheckpoint(tx));
    plan.run = plan.from < plan.to;
    if (plan.run || plan.from == kCaseStandingBackfillFinished) return absl::OkStatus();
    // Nothing at or below the living follower's checkpoint is left unfolded, and everything above it is the
    // living follower's: finished, for every later start.
    return SetCheckpoint(tx, kCaseStandingBackfillConsumerName, kCaseStandingBackfillFinished);
  }));
  return plan;
}

absl::Status CaseStandingBackfill::Apply(db::Session& tx, absl::Span<const common::v1::Event> events) const {
  ASSIGN_OR_RETURN(const int64_t living, LivingCheckpoint(tx));
  for (const common::v1::Event& event : events) {
    if (event.sequence() > living) {
      // The living follower's to fold, and so is every later one: the events come in sequence order.
      if (!caught_up_.exchange(true)) {
        logger_.Info("case standing backfill caught up with the living follower",
                     {{"sequence", event.sequence()}, {"living_checkpoint", living}});
      }
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(Fold(tx, event));
  }
  return absl::OkStatus();
}

absl::Status CaseStandingBackfill::Fold(db::Session& tx, const common::v1::Event& event) const {
  const google::protobuf::Any& payload = event.payload();
  std::string child_id;
  bool closed = false;
  bool readable = true;
  if (payload.Is<rv1::CaseClosed>()) {
    rv1::CaseClosed e;
    readable = payload.UnpackTo(&e);
    child_id = e.child_id();
    closed = true;
  } else if (payload.Is<rv1::CaseReopened>()) {
    rv1::CaseReopened e;
    readable = payload.UnpackTo(&e);
    child_id = e.child_id();
  } else {
    return absl::OkStatus();
  }
  if (!readable || child_id.empty()) {
    // The living follower skipped it as well; refusing it would stop the backfill for every other child.
    logger_.Warn("registry event skipped by the case standing backfill: unreadable payload",
                 {{"sequence", event.sequence()}});
    return absl::OkStatus();
  }
  // A replay (the child's standing already at or past it) changes nothing; either way nothing is cancelled.
  return MariaDbAllowanceStore::FoldCaseStanding(tx, child_id, closed, event.sequence(), clock_.Now())
      .status();
}

}  // namespace shouhu::allowance
