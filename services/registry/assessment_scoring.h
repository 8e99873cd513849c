// Assessment instruments and their scoring, as pure rules. An instrument is checked whole before it is
// published (every problem names its field); an assessment's answers are checked against the instrument
// version it uses, then summed and graded by the instrument's bands into the four-colour grade (green LOW,
// blue MEDIUM, yellow HIGH, red EXTREME). An emergency question answered yes makes the grade EXTREME whatever
// the total: a child in danger tonight is red even when the rest of the form looks well.
#ifndef SHOUHU_SERVICES_REGISTRY_ASSESSMENT_SCORING_H_
#define SHOUHU_SERVICES_REGISTRY_ASSESSMENT_SCORING_H_

#include "absl/status/statusor.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "shouhu/registry/v1/casework_resources.pb.h"

namespace shouhu::registry {

// Limits that keep an instrument a form a person fills in.
inline constexpr int kMaxDomains = 20;
inline constexpr int kMaxQuestionsPerInstrument = 200;
inline constexpr int kMaxOptions = 10;
inline constexpr int kMaxOptionScore = 100;

// INVALID_ARGUMENT naming the field ("instrument.domains[1].questions[0].options") unless the instrument is
// publishable: a code of [a-z0-9-], a title, 1..kMaxDomains domains, question ids unique across the
// instrument, 2..kMaxOptions options with distinct scores 0..kMaxOptionScore, emergency questions with
// options exactly 0 and 1, and one band per risk level LOW..EXTREME whose lowest totals start at 0 and rise.
absl::Status ValidateInstrument(const v1::Instrument& instrument);

struct Score {
  int total = 0;
  v1::RiskLevel grade = v1::RISK_LEVEL_UNSPECIFIED;
  bool emergency_override = false;
};

// INVALID_ARGUMENT naming "answers" (or "answers[i].…") unless every question of the instrument is answered
// exactly once with one of its options' scores; then the total of the scored questions and the grade.
absl::StatusOr<Score> ScoreAnswers(const v1::Instrument& instrument,
                                   const google::protobuf::RepeatedPtrField<v1::Answer>& answers);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_ASSESSMENT_SCORING_H_
