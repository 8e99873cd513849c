#include "services/allowance/case_standing_backfill.h"

#include <optional>
#include <string>

#include "common/status_macros.h"
#include "services/allowance/allowance_store.h"
#include "services/allowance/living_allowance_follower.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::allowance {
namespace {

namespace rv1 = ::shouhu::registry::v1;

// The two consumers' rows of event_checkpoints, the event consumers' own table (common/event_consumer.h),
// which no store of this service owns: read here beside the one consumer that needs another's checkpoint.
constexpr char kEnsureCheckpoint[] =
    "INSERT IGNORE INTO event_checkpoints (consumer, last_sequence, updated_at)"
    " VALUES (?, 0, CURRENT_TIMESTAMP(6))";
constexpr char kLockCheckpoint[] =
    "SELECT last_sequence FROM event_checkpoints WHERE consumer = ? FOR UPDATE";
// A plain read, not a locking one: case_standing_backfill.h says why.
constexpr char kReadCheckpoint[] = "SELECT last_sequence FROM event_checkpoints WHERE consumer = ?";
constexpr char kSetCheckpoint[] =
    "UPDATE event_checkpoints SET last_sequence = ?, updated_at = CURRENT_TIMESTAMP(6) WHERE consumer = ?";

absl::StatusOr<int64_t> LivingCheckpoint(db::Session& tx) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kReadCheckpoint, {kLivingAllowanceConsumerName}));
  return row ? row->Int(0) : 0;
}

}  // namespace

absl::StatusOr<CaseStandingBackfillPlan> PlanCaseStandingBackfill(db::Pool& pool) {
  CaseStandingBackfillPlan plan;
  RETURN_IF_ERROR(pool.Transaction([&](db::Session& tx) -> absl::Status {
    plan = CaseStandingBackfillPlan();
    RETURN_IF_ERROR(tx.Execute(kEnsureCheckpoint, {kCaseStandingBackfillConsumerName}).status());
    ASSIGN_OR_RETURN(std::optional<db::Row> own,
                     tx.QueryOne(kLockCheckpoint, {kCaseStandingBackfillConsumerName}));
    if (!own) return absl::InternalError("the backfill's checkpoint row is missing");
    plan.from = own->Int(0);
    ASSIGN_OR_RETURN(plan.to, LivingCheckpoint(tx));
    plan.run = plan.from < plan.to;
    if (plan.run || plan.from == kCaseStandingBackfillFinished) return absl::OkStatus();
    // Nothing at or below the living follower's checkpoint is left unfolded, and everything above it is the
    // living follower's: finished, for every later start.
    return tx.Execute(kSetCheckpoint, {kCaseStandingBackfillFinished, kCaseStandingBackfillConsumerName})
        .status();
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
