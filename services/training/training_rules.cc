#include "services/training/training_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/timestamps.h"
#include "shouhu/training/v1/events.pb.h"

namespace shouhu::training {

bool StageMoveAllowed(v1::VolunteerStage from, v1::VolunteerStage to) {
  if (from == to || from == v1::VOLUNTEER_STAGE_LEFT) return false;
  if (to == v1::VOLUNTEER_STAGE_LEFT) return true;
  switch (from) {
    case v1::VOLUNTEER_STAGE_APPLIED:
      return to == v1::VOLUNTEER_STAGE_INTERVIEWED;
    case v1::VOLUNTEER_STAGE_INTERVIEWED:
      return to == v1::VOLUNTEER_STAGE_IN_TRAINING;
    case v1::VOLUNTEER_STAGE_IN_TRAINING:
      return to == v1::VOLUNTEER_STAGE_ACTIVE;
    case v1::VOLUNTEER_STAGE_ACTIVE:
      return to == v1::VOLUNTEER_STAGE_SUSPENDED;
    case v1::VOLUNTEER_STAGE_SUSPENDED:
      return to == v1::VOLUNTEER_STAGE_ACTIVE;
    default:
      return false;
  }
}

absl::StatusOr<StageChange> ChangeStage(const v1::Participant& current, v1::VolunteerStage to,
                                        const std::string& reason, const Actor& actor) {
  if (current.kind() != v1::PARTICIPANT_KIND_VOLUNTEER) {
    return absl::FailedPreconditionError("only volunteers move through the recruitment pipeline");
  }
  const v1::VolunteerStage from = current.stage();
  if (!StageMoveAllowed(from, to)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "a volunteer cannot move from ", v1::VolunteerStage_Name(from), " to ", v1::VolunteerStage_Name(to)));
  }
  StageChange change;
  change.updated = current;
  change.updated.set_stage(to);
  *change.updated.mutable_updated_at() = ToProtoTimestamp(actor.at);
  change.from = from;
  change.reason = reason;
  if (to == v1::VOLUNTEER_STAGE_ACTIVE) {
    auto event = std::make_shared<v1::VolunteerActivated>();
    event->set_participant_id(current.id());
    event->set_organisation_id(current.organisation_id());
    event->set_previous_stage(from);
    change.event = std::move(event);
  } else if (from == v1::VOLUNTEER_STAGE_ACTIVE) {
    auto event = std::make_shared<v1::VolunteerSuspended>();
    event->set_participant_id(current.id());
    event->set_organisation_id(current.organisation_id());
    event->set_stage(to);
    event->set_reason(reason);
    change.event = std::move(event);
  }
  return change;
}

BackgroundCheckRecord RecordCheck(const v1::Participant& current, const v1::BackgroundCheck& check,
                                  const Actor& actor) {
  BackgroundCheckRecord record;
  record.updated = current;
  *record.updated.mutable_background_check() = check;
  *record.updated.mutable_updated_at() = ToProtoTimestamp(actor.at);
  auto event = std::make_shared<v1::BackgroundCheckChanged>();
  event->set_participant_id(current.id());
  event->set_previous_status(current.background_check().status());
  *event->mutable_background_check() = check;
  record.event = std::move(event);
  return record;
}

absl::Status MayEnroll(const v1::Course& course, const v1::Participant& participant) {
  if (course.audiences_size() > 0 && std::find(course.audiences().begin(), course.audiences().end(),
                                               participant.kind()) == course.audiences().end()) {
    return absl::FailedPreconditionError("the course is not meant for this kind of participant");
  }
  if (participant.stage() == v1::VOLUNTEER_STAGE_LEFT) {
    return absl::FailedPreconditionError("the volunteer has left");
  }
  return absl::OkStatus();
}

absl::Status MayRecordResults(absl::Time session_starts_at, absl::Time now) {
  if (now >= session_starts_at) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the session has not begun (it begins ",
                   absl::FormatTime("%Y-%m-%d %H:%M", session_starts_at, ShanghaiTimeZone()),
                   " Asia/Shanghai): attendance and scores are recorded once it has"));
}

v1::EnrollmentStatus PlaceFor(int capacity, int enrolled_count) {
  return enrolled_count < capacity ? v1::ENROLLMENT_STATUS_ENROLLED : v1::ENROLLMENT_STATUS_WAITLISTED;
}

}  // namespace shouhu::training
