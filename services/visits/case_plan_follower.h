// Folds the registry's case events (protos/shouhu/registry/v1/events.proto) into the visits plan: each
// event, in the event consumer's transaction, moves the case's standing by cadence.h's ApplyCaseEvent and
// stores it with its next visit due. An accepted case gets its verification visit, a risk change re-plans,
// a closed or transferred case has its future visits cancelled, a reopened one is planned again. A case moved
// to another county (CaseMovedCounty) stays open and planned, in its new village and organisation, and its
// future visits are released from the old county's visitors for the new county to plan; a child who moved
// home inside the county (HouseholdMoved) has the case's future visits in the old village released and placed
// again.
//
// Replaying is harmless: each plan records the sequence of the last event folded into it, and an event at or
// before it changes nothing — the consumer's checkpoint already skips replays, this also covers a checkpoint
// reset or a second consumer over the same stream.
#ifndef SHOUHU_SERVICES_VISITS_CASE_PLAN_FOLLOWER_H_
#define SHOUHU_SERVICES_VISITS_CASE_PLAN_FOLLOWER_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "services/visits/cadence.h"
#include "shouhu/common/v1/events.pb.h"

namespace shouhu::visits {

// The consumer's name (its checkpoint key) and the stream it follows.
inline constexpr char kRegistryConsumerName[] = "visits-from-registry";
inline constexpr char kRegistryStreamMethod[] = "/shouhu.registry.v1.RegistryService/StreamEvents";

class CasePlanFollower {
 public:
  CasePlanFollower(CadencePolicy policy, const Clock& clock, Logger& logger)
      : policy_(policy), clock_(clock), logger_(logger) {}

  // An EventConsumer's ApplyEvent. Events of other types pass. An event that cannot follow the case's
  // standing (a risk change on a case never accepted here) is logged and passed: it can never apply, and
  // refusing it would stop the stream for every other case.
  absl::Status Apply(db::Session& tx, const common::v1::Event& event) const;
  // An EventConsumer's ApplyEvents: the same effect as Apply for each event in turn, with the plans a run of
  // events touches read once and written once (a roster import's backlog folds at two statements a batch,
  // not two an event).
  absl::Status ApplyAll(db::Session& tx, absl::Span<const common::v1::Event> events) const;

 private:
  // Events other than case moves: their cases' plans locked in one read and written in one statement.
  absl::Status ApplyRun(db::Session& tx, absl::Span<const common::v1::Event> run) const;
  // CaseMovedCounty and HouseholdMoved.
  absl::Status ApplyCaseMove(db::Session& tx, const common::v1::Event& event) const;

  const CadencePolicy policy_;
  const Clock& clock_;
  Logger& logger_;
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_CASE_PLAN_FOLLOWER_H_
