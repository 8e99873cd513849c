#include "services/visits/qualification_follower.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/visits/assignment_release.h"
#include "services/visits/group_facilitators.h"
#include "shouhu/training/v1/events.pb.h"

namespace shouhu::visits {
namespace {

namespace tv1 = ::shouhu::training::v1;

constexpr char kLockMark[] =
    "SELECT last_event_sequence FROM training_event_marks WHERE participant_id = ? FOR UPDATE";
constexpr char kSaveMark[] =
    "INSERT INTO training_event_marks (participant_id, last_event_sequence, updated_at) VALUES (?, ?, ?)"
    " ON DUPLICATE KEY UPDATE last_event_sequence = VALUES(last_event_sequence),"
    " updated_at = VALUES(updated_at)";

template <typename Message>
absl::StatusOr<Message> Unpack(const google::protobuf::Any& payload, absl::string_view name) {
  Message message;
  if (!payload.UnpackTo(&message)) return absl::InvalidArgumentError(absl::StrCat(name, " payload"));
  return message;
}

bool RequiredFor(const google::protobuf::RepeatedField<int>& activities, tv1::Activity activity) {
  return std::find(activities.begin(), activities.end(), activity) != activities.end();
}

// The loss of a certificate: of what its course is required for, if any of home visits and group activities.
std::optional<QualificationLoss> CertificateLoss(const std::string& participant_id,
                                                 const google::protobuf::RepeatedField<int>& required_for,
                                                 absl::CivilDay today) {
  QualificationLoss loss{participant_id, today, RequiredFor(required_for, tv1::ACTIVITY_HOME_VISIT),
                         RequiredFor(required_for, tv1::ACTIVITY_GROUP_ACTIVITY)};
  if (!loss.home_visits && !loss.group_activities) return std::nullopt;
  return loss;
}

}  // namespace

absl::StatusOr<std::optional<QualificationLoss>> QualificationLostBy(const common::v1::Event& event,
                                                                     absl::CivilDay today) {
  using Lost = std::optional<QualificationLoss>;
  const auto from_today = [today](const std::string& participant_id) {
    return Lost(QualificationLoss{participant_id, today});
  };
  const google::protobuf::Any& payload = event.payload();
  if (payload.Is<tv1::ParticipantSuspended>()) {
    ASSIGN_OR_RETURN(auto e, Unpack<tv1::ParticipantSuspended>(payload, "ParticipantSuspended"));
    return from_today(e.participant_id());
  }
  if (payload.Is<tv1::VolunteerSuspended>()) {  // suspended or left
    ASSIGN_OR_RETURN(auto e, Unpack<tv1::VolunteerSuspended>(payload, "VolunteerSuspended"));
    return from_today(e.participant_id());
  }
  if (payload.Is<tv1::CertificationExpired>()) {
    ASSIGN_OR_RETURN(auto e, Unpack<tv1::CertificationExpired>(payload, "CertificationExpired"));
    // A certificate the holder has since earned again lapses with a later one in force: nothing is lost.
    if (!e.superseded_by().empty()) return Lost();
    return CertificateLoss(e.participant_id(), e.required_for(), today);
  }
  if (payload.Is<tv1::CertificationRevoked>()) {
    ASSIGN_OR_RETURN(auto e, Unpack<tv1::CertificationRevoked>(payload, "CertificationRevoked"));
    return CertificateLoss(e.participant_id(), e.required_for(), today);
  }
  if (payload.Is<tv1::BackgroundCheckChanged>()) {
    ASSIGN_OR_RETURN(auto e, Unpack<tv1::BackgroundCheckChanged>(payload, "BackgroundCheckChanged"));
    const tv1::BackgroundCheck& check = e.background_check();
    if (check.status() != tv1::BACKGROUND_CHECK_STATUS_CLEARED) return from_today(e.participant_id());
    absl::CivilDay expires;
    if (check.expires_on().empty() || !absl::ParseCivilTime(check.expires_on(), &expires)) return Lost();
    return Lost(QualificationLoss{e.participant_id(), std::max(today, expires)});
  }
  return Lost();
}

absl::Status QualificationFollower::Apply(db::Session& tx, const common::v1::Event& event) const {
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = ShanghaiDay(now);
  absl::StatusOr<std::optional<QualificationLoss>> lost = QualificationLostBy(event, today);
  if (!lost.ok()) {
    logger_.Warn("training event skipped",
                 {{"sequence", event.sequence()}, {"reason", std::string(lost.status().message())}});
    return absl::OkStatus();
  }
  if (!*lost || (*lost)->participant_id.empty()) return absl::OkStatus();
  const std::string& participant_id = (*lost)->participant_id;
  ASSIGN_OR_RETURN(std::optional<db::Row> mark, tx.QueryOne(kLockMark, {participant_id}));
  if (mark && mark->Int(0) >= event.sequence()) return absl::OkStatus();  // a replay
  RETURN_IF_ERROR(tx.Execute(kSaveMark, {participant_id, event.sequence(), ToSqlTimestamp(now)}).status());
  const std::string because = absl::StrCat("training-event:", event.sequence());
  if ((*lost)->home_visits) {
    ASSIGN_OR_RETURN(int released, ReleaseFutureAssignments(tx, participant_id, (*lost)->from, because, now));
    if (released > 0) {
      logger_.Info(
          "visitor taken off future visits",
          {{"participant_id", participant_id}, {"released", released}, {"sequence", event.sequence()}});
    }
  }
  if ((*lost)->group_activities) {
    ASSIGN_OR_RETURN(int taken_off, TakeOffGroupActivities(tx, participant_id, (*lost)->from, because, now));
    if (taken_off > 0) {
      logger_.Info(
          "facilitator taken off group activities",
          {{"participant_id", participant_id}, {"activities", taken_off}, {"sequence", event.sequence()}});
    }
  }
  return absl::OkStatus();
}

}  // namespace shouhu::visits
