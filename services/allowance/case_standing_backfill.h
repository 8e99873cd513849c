// Folds the registry's past case closes and reopenings into allowance_case_standing (migration 0070), once,
// on an installation upgraded to 0070. The living allowance follower (living_allowance_follower.h) folds the
// standing from the events it applies, but on an upgraded installation its checkpoint is already past every
// CaseClosed and CaseReopened of the past, applied by a release that had no standing to write: without this
// backfill a case closed before the upgrade reads open, and the child's urgent-need drafts and approvals go
// through (the registry's own answer still refuses a new submission).
//
// A second EventConsumer over the same registry stream, from sequence 0 under its own checkpoint. It folds
// CaseClosed (closed) and CaseReopened (open) and nothing else, through
// MariaDbAllowanceStore::FoldCaseStanding, which ignores an event at or below the child's last folded one.
// It never cancels an application: a close of the past replayed must not cancel what was applied for after
// the case reopened, and what was open when it closed was the previous release's to cancel (it did, for the
// applications submitted by then).
//
// It folds only events at or below the living follower's checkpoint as read in its own transaction; it
// passes over the others, which still advance its own checkpoint. Those are the living follower's: had the
// backfill folded a close first, the living follower's fold would find it a replay and not cancel the
// child's open applications, their money held for a closed case. The read is a plain one (READ COMMITTED):
// a checkpoint at or above an event commits only together with the living follower's fold of that event, so
// when the backfill sees it, its own fold is a replay; an older value only leaves to the living follower
// events it folds anyway. A shared lock would add no safety, would hold the living follower (and the
// cancellations of the closes arriving now) behind each backfill batch, and on Galera would not be seen by
// another node at all.
//
// The module starts it only while its checkpoint is below the living follower's (PlanCaseStandingBackfill):
// never on a fresh installation (the living follower's checkpoint still 0: it folds the standing from the
// first event), and never again once a start finds it caught up, which that start records by setting its
// checkpoint past every sequence (kCaseStandingBackfillFinished; set it back to 0 to run it again). Without
// that record, a checkpoint compared with the living follower's, which moves on, would look behind again at a
// later start. Once caught up, a running backfill passes over every new event until the process stops.
//
// While it runs (as long as reading the registry's stream from its start takes, up to 128 events per
// transaction):
// - A child whose case closed before the upgrade still reads open until its close is folded, as before the
//   backfill: an urgent-need draft or an approval of the child's applications goes through in that while,
//   and the backfill does not cancel them afterwards.
// - A child whose case closed and later reopened, both before the upgrade, reads closed between the replay of
//   the close and that of the reopening when they fall in different transactions: the child's submissions
//   and approvals are refused (FAILED_PRECONDITION) in that while and succeed when tried again after it, and
//   an urgent need reported in it records "the child's case is closed" and drafts nothing, for good.
// - On a rolling upgrade, an event that a replica of the previous release applies as the living follower
//   after the backfill passed over it is folded by neither: upgrade every replica before the backfill
//   starts, or set its checkpoint back to 0 once they are.
#ifndef SHOUHU_SERVICES_ALLOWANCE_CASE_STANDING_BACKFILL_H_
#define SHOUHU_SERVICES_ALLOWANCE_CASE_STANDING_BACKFILL_H_

#include <atomic>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "shouhu/common/v1/events.pb.h"

namespace shouhu::allowance {

inline constexpr char kCaseStandingBackfillConsumerName[] = "allowance-case-standing-backfill";
// The backfill's checkpoint once it has nothing left to do: above every sequence the living follower's
// checkpoint can reach, so the module never starts it again.
inline constexpr int64_t kCaseStandingBackfillFinished = std::numeric_limits<int64_t>::max();

// What the module does with the backfill as it starts.
struct CaseStandingBackfillPlan {
  bool run = false;
  int64_t from = 0;  // the backfill's checkpoint
  int64_t to = 0;    // the living follower's, as read before it starts following
};

// Run it when its checkpoint is below the living follower's; else it is finished (a fresh installation, or
// caught up), which is recorded so that no later start runs it again.
absl::StatusOr<CaseStandingBackfillPlan> PlanCaseStandingBackfill(db::Pool& pool);

class CaseStandingBackfill {
 public:
  CaseStandingBackfill(const Clock& clock, Logger& logger) : clock_(clock), logger_(logger) {}

  // The EventConsumer's ApplyEvents: the run's events up to the living follower's checkpoint, folded.
  absl::Status Apply(db::Session& tx, absl::Span<const common::v1::Event> events) const;

 private:
  absl::Status Fold(db::Session& tx, const common::v1::Event& event) const;

  const Clock& clock_;
  Logger& logger_;
  mutable std::atomic<bool> caught_up_{false};  // logged once
};

}  // namespace shouhu::allowance

#endif  // SHOUHU_SERVICES_ALLOWANCE_CASE_STANDING_BACKFILL_H_
