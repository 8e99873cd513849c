// The training service's other pure rules: the volunteer recruitment pipeline, places versus the waitlist,
// when a certificate is earned and how long it runs.
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_RULES_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_RULES_H_

#include "absl/time/civil_time.h"
#include "shouhu/training/v1/training.pb.h"

namespace shouhu::training {

// applied → interviewed → in training → active ⇄ suspended; any stage but left → left.
bool StageMoveAllowed(v1::VolunteerStage from, v1::VolunteerStage to);

// A new enrollment takes a place while fewer than `capacity` hold one, and waits otherwise.
v1::EnrollmentStatus PlaceFor(int capacity, int enrolled_count);

// Attendance plus a passing score.
bool CertificationEarned(bool attended, bool assessed, int score, int pass_mark);

// The first day a certificate issued on `issued_on` is no longer valid: `months` later (clamped to the end of
// a shorter month: 31 Jan + 1 month → 28/29 Feb).
absl::CivilDay AddMonths(absl::CivilDay day, int months);

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_RULES_H_
