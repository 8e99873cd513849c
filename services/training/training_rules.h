// The training service's pure rules about people and places: the volunteer recruitment pipeline (each move
// returns the participant as it will be, its history entry and the event to publish) and who may take a
// place in a session. Certificates have their own file (certification_rules.h).
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_RULES_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_RULES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/idempotency.h"
#include "google/protobuf/message.h"
#include "shouhu/training/v1/training.pb.h"

namespace shouhu::training {

// applied → interviewed → in training → active ⇄ suspended; any stage but left → left.
bool StageMoveAllowed(v1::VolunteerStage from, v1::VolunteerStage to);

// One move in the pipeline, as the store applies it to the locked participant row.
struct StageChange {
  v1::Participant updated;
  v1::VolunteerStage from = v1::VOLUNTEER_STAGE_UNSPECIFIED;
  std::string reason;
  std::shared_ptr<google::protobuf::Message> event;  // null when the move announces nothing
};

// FAILED_PRECONDITION when `current` is not a volunteer or the pipeline does not allow the move. Becoming
// active publishes VolunteerActivated; leaving the active stage (suspended or left) VolunteerSuspended,
// since either way the volunteer may no longer be sent to children.
absl::StatusOr<StageChange> ChangeStage(const v1::Participant& current, v1::VolunteerStage to,
                                        const std::string& reason, const Actor& actor);

// A background check recorded on a participant: the participant as it will be and BackgroundCheckChanged.
struct BackgroundCheckRecord {
  v1::Participant updated;
  std::shared_ptr<google::protobuf::Message> event;
};
BackgroundCheckRecord RecordCheck(const v1::Participant& current, const v1::BackgroundCheck& check,
                                  const Actor& actor);

// A suspension (SuspendParticipant) or its lifting, as the store applies it to the locked participant row.
// `event` is null when nothing changes: suspending again for the same reason and reference.
struct SuspensionChange {
  v1::Participant updated;
  v1::SuspensionReason reason = v1::SUSPENSION_REASON_UNSPECIFIED;  // suspended or lifted
  std::string reference;
  std::shared_ptr<google::protobuf::Message> event;
};

// Suspends whatever the kind or stage. A person already suspended stays under the first suspension (its
// reason and reference kept): the same reason again (a second concern about the same person) changes
// nothing; another reason is FAILED_PRECONDITION, so one reason's reinstatement can never lift a suspension
// that rests on another.
absl::StatusOr<SuspensionChange> Suspend(const v1::Participant& current, v1::SuspensionReason reason,
                                         const std::string& reference, const Actor& actor);
// Lifts the suspension of `reason`: FAILED_PRECONDITION when the person is not suspended, or suspended for
// another reason.
absl::StatusOr<SuspensionChange> Reinstate(const v1::Participant& current, v1::SuspensionReason reason,
                                           const std::string& reference, const Actor& actor);

// Whether the participant may take a place in a session of `course`: FAILED_PRECONDITION when the course is
// not meant for their kind, or when the volunteer has left.
absl::Status MayEnroll(const v1::Course& course, const v1::Participant& participant);

// A new enrollment takes a place while fewer than `capacity` hold one, and waits otherwise.
v1::EnrollmentStatus PlaceFor(int capacity, int enrolled_count);

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_RULES_H_
