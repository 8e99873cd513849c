// Which of the visits service's events (protos/shouhu/visits/v1/events.proto) become casework tasks, and by
// when they must be acted on, as a pure rule. Danger signs found on a visit need a response within a day
// (a child may be abused, trafficked or alone); a visitor who checked in and never checked out must be
// reached within hours (the visitor's safety, and the visit's record). Other events make no task: reports and
// check-ins are the visit's own business, and urgent material needs go to the allowance service.
#ifndef SHOUHU_SERVICES_REGISTRY_VISIT_FOLLOW_UPS_H_
#define SHOUHU_SERVICES_REGISTRY_VISIT_FOLLOW_UPS_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "shouhu/common/v1/events.pb.h"
#include "shouhu/registry/v1/casework_resources.pb.h"

namespace shouhu::registry {

inline constexpr absl::Duration kDangerSignsResponse = absl::Hours(24);
inline constexpr absl::Duration kMissingCheckOutResponse = absl::Hours(4);

struct VisitFollowUp {
  // The event's record (report or assignment id): one task per record and kind, however often it comes.
  std::string source_ref;
  v1::TaskKind kind = v1::TASK_KIND_UNSPECIFIED;
  std::string case_id;
  absl::Time due_at;
  // Where the task is acted on and by whom when not where the case is now (both set, or both empty: the
  // case's). A missing check-out is the visitor's safety: the organisation that sent them, in the village the
  // visit was made in, reaches them, wherever the child has moved since. Danger signs follow the child.
  std::string village_code;
  std::string organisation_id;
};

// The follow-up an event asks for, or nullopt (another type, or a payload without a case).
std::optional<VisitFollowUp> FollowUpFor(const common::v1::Event& event);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_VISIT_FOLLOW_UPS_H_
