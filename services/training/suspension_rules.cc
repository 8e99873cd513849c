#include "services/training/suspension_rules.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "shouhu/training/v1/events.pb.h"

namespace shouhu::training {
namespace {

// The participant as shown: suspended under the earliest of `standing`, or not at all.
v1::Participant ShownWithHolds(const v1::Participant& current, const std::vector<SuspensionHold>& standing,
                               const Actor& actor) {
  v1::Participant shown = current;
  shown.clear_suspension();
  *shown.mutable_updated_at() = ToProtoTimestamp(actor.at);
  if (standing.empty()) return shown;
  const SuspensionHold& first = *std::min_element(
      standing.begin(), standing.end(),
      [](const SuspensionHold& a, const SuspensionHold& b) { return a.placed_at < b.placed_at; });
  v1::Suspension* s = shown.mutable_suspension();
  s->set_reason(first.reason);
  s->set_reference(first.reference);
  *s->mutable_suspended_at() = ToProtoTimestamp(first.placed_at);
  s->set_suspended_by(first.placed_by);
  return shown;
}

absl::Status MayLiftHold(const SuspensionHold& hold, const SuspensionAuthority& by) {
  if (hold.authority.system && !by.system) {
    return absl::PermissionDeniedError(
        "this suspension rests on a safeguarding concern in the visits service: it is lifted when the "
        "concern "
        "is closed there");
  }
  if (!by.organisation.empty() && hold.authority.organisation != by.organisation) {
    return absl::PermissionDeniedError(
        "this suspension was placed by the civil-affairs bureau (or another body): only it may lift it");
  }
  return absl::OkStatus();
}

template <typename Event>
std::shared_ptr<Event> SuspensionEvent(const v1::Participant& p, v1::SuspensionReason reason,
                                       const std::string& reference) {
  auto event = std::make_shared<Event>();
  event->set_participant_id(p.id());
  event->set_organisation_id(p.organisation_id());
  event->set_reason(reason);
  event->set_reference(reference);
  return event;
}

}  // namespace

SuspensionChange Suspend(const v1::Participant& current, const std::vector<SuspensionHold>& holds,
                         v1::SuspensionReason reason, const std::string& reference,
                         const SuspensionAuthority& by, const Actor& actor) {
  SuspensionChange change;
  change.updated = current;
  change.reason = reason;
  change.reference = reference;
  for (const SuspensionHold& h : holds) {
    if (h.reason == reason && h.reference == reference) return change;  // placed already: nothing to do
  }
  change.placed = SuspensionHold{reason, reference, actor.subject, actor.at, by};
  std::vector<SuspensionHold> standing = holds;
  standing.push_back(*change.placed);
  change.updated = ShownWithHolds(current, standing, actor);
  if (holds.empty()) change.event = SuspensionEvent<v1::ParticipantSuspended>(current, reason, reference);
  return change;
}

absl::StatusOr<SuspensionChange> Reinstate(const v1::Participant& current,
                                           const std::vector<SuspensionHold>& holds,
                                           v1::SuspensionReason reason, const std::string& hold_reference,
                                           const std::string& reference, const SuspensionAuthority& by,
                                           const Actor& actor) {
  std::vector<size_t> of_reason;
  std::optional<size_t> named;
  for (size_t i = 0; i < holds.size(); ++i) {
    if (holds[i].reason != reason) continue;
    of_reason.push_back(i);
    const std::string& wanted = hold_reference.empty() ? reference : hold_reference;
    if (holds[i].reference == wanted) named = i;
  }
  // A person naming no standing hold lifts the only one of the reason. A service always names its own: it
  // must never lift another body's hold by chance.
  if (!named && hold_reference.empty() && !by.system && of_reason.size() == 1) named = of_reason[0];
  if (!named) {
    if (of_reason.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the participant is not suspended for ", v1::SuspensionReason_Name(reason)));
    }
    std::vector<std::string> references;
    for (size_t i : of_reason) references.push_back(holds[i].reference);
    return absl::FailedPreconditionError(
        absl::StrCat("no suspension of this reason has that reference; name one in hold_reference: ",
                     absl::StrJoin(references, ", ")));
  }
  RETURN_IF_ERROR(MayLiftHold(holds[*named], by));
  SuspensionChange change;
  change.reason = reason;
  change.reference = reference;
  change.lifted = holds[*named];
  std::vector<SuspensionHold> standing = holds;
  standing.erase(standing.begin() + static_cast<std::ptrdiff_t>(*named));
  change.updated = ShownWithHolds(current, standing, actor);
  if (standing.empty()) change.event = SuspensionEvent<v1::ParticipantReinstated>(current, reason, reference);
  return change;
}

}  // namespace shouhu::training
