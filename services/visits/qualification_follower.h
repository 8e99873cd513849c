// Follows the training service's events (protos/shouhu/training/v1/events.proto) and takes a person off every
// future visit (today on, Asia/Shanghai) once they may no longer make home visits: suspended from work with
// children, a volunteer suspended or gone, a certificate a home visit requires expired or revoked, a
// background check no longer cleared (or, for one cleared until a day, its visits from that day on). Those
// visits are due and unassigned again; the next plan places them with someone qualified (PlanWeekend asks
// training for each visit day). The same losses, and a certificate group activities require, take the person
// off the group activities they were to lead (group_facilitators.h): the organiser sees the activity lost a
// facilitator and names another.
//
// Replaying is harmless: training_event_marks records, per person, the sequence of the last such event
// applied, and an event at or before it changes nothing — so replaying the stream from 0 cannot take anyone
// off visits planned after they were reinstated or re-certified.
#ifndef SHOUHU_SERVICES_VISITS_QUALIFICATION_FOLLOWER_H_
#define SHOUHU_SERVICES_VISITS_QUALIFICATION_FOLLOWER_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "shouhu/common/v1/events.pb.h"

namespace shouhu::visits {

// The consumer's name (its checkpoint key) and the stream it follows.
inline constexpr char kTrainingConsumerName[] = "visits-from-training";
inline constexpr char kTrainingStreamMethod[] = "/shouhu.training.v1.TrainingService/StreamEvents";

// A person who may no longer make home visits, or lead group activities, or either, from a day on.
struct QualificationLoss {
  std::string participant_id;
  absl::CivilDay from;
  bool home_visits = true;
  bool group_activities = true;
};

// Pure: whose home-visit or group-activity qualification `event` takes away, and from which day: `today` for
// a suspension, a lapsed or revoked certificate or a failed check; for a cleared background check, its expiry
// (today if past), since nothing else will say when it lapses and visits planned beyond it must not stand.
// A suspension or a background check reaches both; a certificate those activities its course is required
// for. Nothing for events that take nothing away. INVALID_ARGUMENT for a payload that does not parse.
absl::StatusOr<std::optional<QualificationLoss>> QualificationLostBy(const common::v1::Event& event,
                                                                     absl::CivilDay today);

class QualificationFollower {
 public:
  QualificationFollower(const Clock& clock, Logger& logger) : clock_(clock), logger_(logger) {}

  // An EventConsumer's ApplyEvent. A payload that does not parse is logged and passed (it can never apply,
  // and refusing it would stop the stream for everyone else).
  absl::Status Apply(db::Session& tx, const common::v1::Event& event) const;

 private:
  const Clock& clock_;
  Logger& logger_;
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_QUALIFICATION_FOLLOWER_H_
