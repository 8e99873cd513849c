// The training service's pure rules about people and places: the volunteer recruitment pipeline (each move
// returns the participant as it will be, its history entry and the event to publish) and who may take a
// place in a session. Certificates have their own file (certification_rules.h).
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_RULES_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_RULES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
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

// Whether the participant may take a place in a session of `course`: FAILED_PRECONDITION when the course is
// not meant for their kind, or when the volunteer has left.
absl::Status MayEnroll(const v1::Course& course, const v1::Participant& participant);

// Whether a session's results (attendance, a score) may be recorded at `now`: only once the session has begun
// (FAILED_PRECONDITION saying when it begins). Attendance entered ahead, for the people enrolled, issued
// their certificates with the session's day and qualified them for home visits from it whether they came or
// not; and an issued certificate's results can no longer be corrected.
absl::Status MayRecordResults(absl::Time session_starts_at, absl::Time now);

// A new enrollment takes a place while fewer than `capacity` hold one, and waits otherwise.
v1::EnrollmentStatus PlaceFor(int capacity, int enrolled_count);

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_RULES_H_
