// Suspension from work with children as holds: each SuspendParticipant places one hold, named by its reason
// and reference (a safeguarding concern's id, a police reference, a decision's number), and a person is
// suspended while any hold stands. A person used to have one suspension slot: a second suspension for the
// same reason was dropped, so lifting the first (a visits concern closed as unfounded) lifted the one an
// officer had placed on a police report, and the person was planned into homes again. Now each hold is
// lifted on its own, the suspension ends with the last, and only then is ParticipantReinstated announced
// (ParticipantSuspended with the first).
//
// Who may lift a hold follows who placed it: the visits service's holds (a concern open there) only by the
// visits service, when it closes the concern; a hold placed by the county (a caller bound to no organisation)
// not by an organisation's own safeguarding lead; an organisation's hold by that organisation or the county.
#ifndef SHOUHU_SERVICES_TRAINING_SUSPENSION_RULES_H_
#define SHOUHU_SERVICES_TRAINING_SUSPENSION_RULES_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/idempotency.h"
#include "google/protobuf/message.h"
#include "shouhu/training/v1/training.pb.h"

namespace shouhu::training {

// Who places or lifts a hold.
struct SuspensionAuthority {
  bool system = false;       // a service (the visits service's safeguarding desk)
  std::string organisation;  // the caller's organisation when bound to one; empty for the county or a service
};

// A SuspendParticipant or ReinstateParticipant as the store takes it.
struct SuspensionCommand {
  v1::SuspensionReason reason = v1::SUSPENSION_REASON_UNSPECIFIED;
  std::string reference;       // the hold's (suspending), or what the decision rests on (reinstating)
  std::string hold_reference;  // reinstating: the hold to lift, when `reference` does not name it
  SuspensionAuthority by;
};

// One standing hold (training migration 0040).
struct SuspensionHold {
  v1::SuspensionReason reason = v1::SUSPENSION_REASON_UNSPECIFIED;
  std::string reference;
  std::string placed_by;
  absl::Time placed_at;
  SuspensionAuthority authority;
};

// A hold placed or lifted, as the store applies it to the locked participant row: `updated` shows the
// earliest standing hold as its suspension (none when none stands). `event` only when the person's state
// turns (suspended, reinstated); nothing is written when neither `placed` nor `lifted` is set.
struct SuspensionChange {
  v1::Participant updated;
  v1::SuspensionReason reason = v1::SUSPENSION_REASON_UNSPECIFIED;
  std::string reference;
  std::optional<SuspensionHold> placed;
  std::optional<SuspensionHold> lifted;
  std::shared_ptr<google::protobuf::Message> event;
};

// Places the hold (reason, reference) whatever the kind or stage, unless it stands already (nothing to do).
// `holds`: the person's standing holds, oldest first.
SuspensionChange Suspend(const v1::Participant& current, const std::vector<SuspensionHold>& holds,
                         v1::SuspensionReason reason, const std::string& reference,
                         const SuspensionAuthority& by, const Actor& actor);

// Lifts one hold of `reason`: the one whose reference is `hold_reference`, else `reference` (the visits
// service names its concern in both calls); else, for a person, the only hold of that reason.
// FAILED_PRECONDITION when none matches (or several might: the message names their references, to choose with
// hold_reference); PERMISSION_DENIED when `by` may not lift the hold (see above).
absl::StatusOr<SuspensionChange> Reinstate(const v1::Participant& current,
                                           const std::vector<SuspensionHold>& holds,
                                           v1::SuspensionReason reason, const std::string& hold_reference,
                                           const std::string& reference, const SuspensionAuthority& by,
                                           const Actor& actor);

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_SUSPENSION_RULES_H_
