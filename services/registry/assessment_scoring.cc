#include "services/registry/assessment_scoring.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu::registry {
namespace {

constexpr size_t kMaxCodeChars = 64;
constexpr size_t kMaxTitleChars = 200;
constexpr size_t kMaxQuestionIdChars = 64;
constexpr size_t kMaxTextChars = 500;

absl::Status ValidateCode(const std::string& code) {
  if (code.empty() || code.size() > kMaxCodeChars)
    return InvalidField("instrument.code", "must be 1-64 characters");
  for (char c : code) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return InvalidField("instrument.code", "may hold only a-z, 0-9 and '-'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateQuestion(const v1::InstrumentQuestion& q, const std::string& field,
                              absl::flat_hash_set<std::string>& seen_ids) {
  RETURN_IF_ERROR(ValidateIdentifier(q.question_id(), field + ".question_id", kMaxQuestionIdChars));
  if (!seen_ids.insert(q.question_id()).second) {
    return InvalidField(field + ".question_id", "is used by another question of the instrument");
  }
  RETURN_IF_ERROR(ValidateMeaningfulText(q.text(), field + ".text", kMaxTextChars));
  const std::string options = field + ".options";
  if (q.options_size() < 2 || q.options_size() > kMaxOptions) {
    return InvalidField(options, "must hold 2-10 options");
  }
  absl::flat_hash_set<int> scores;
  for (int i = 0; i < q.options_size(); ++i) {
    const v1::AnswerOption& o = q.options(i);
    const std::string option = absl::StrCat(options, "[", i, "]");
    if (o.score() < 0 || o.score() > kMaxOptionScore) return InvalidField(option + ".score", "must be 0-100");
    if (!scores.insert(o.score()).second) return InvalidField(option + ".score", "is another option's score");
    RETURN_IF_ERROR(ValidateMeaningfulText(o.label(), option + ".label", kMaxTextChars));
  }
  if (q.emergency_override() && (q.options_size() != 2 || !scores.contains(0) || !scores.contains(1))) {
    return InvalidField(options, "of an emergency question must be exactly 0 (no) and 1 (yes)");
  }
  return absl::OkStatus();
}

absl::Status ValidateBands(const v1::Instrument& instrument) {
  if (instrument.bands_size() != 4) {
    return InvalidField("instrument.bands", "must hold one band per risk level LOW, MEDIUM, HIGH, EXTREME");
  }
  for (int i = 0; i < 4; ++i) {
    const v1::GradeBand& band = instrument.bands(i);
    const std::string field = absl::StrCat("instrument.bands[", i, "]");
    if (band.risk_level() != static_cast<v1::RiskLevel>(v1::RISK_LEVEL_LOW + i)) {
      return InvalidField(field + ".risk_level", "bands must run LOW, MEDIUM, HIGH, EXTREME in that order");
    }
    if (i == 0 && band.min_total() != 0) return InvalidField(field + ".min_total", "LOW's must be 0");
    if (i > 0 && band.min_total() <= instrument.bands(i - 1).min_total()) {
      return InvalidField(field + ".min_total", "must be above the band before");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateInstrument(const v1::Instrument& instrument) {
  RETURN_IF_ERROR(ValidateCode(instrument.code()));
  RETURN_IF_ERROR(ValidateMeaningfulText(instrument.title(), "instrument.title", kMaxTitleChars));
  if (instrument.domains_size() < 1 || instrument.domains_size() > kMaxDomains) {
    return InvalidField("instrument.domains", "must hold 1-20 domains");
  }
  absl::flat_hash_set<std::string> question_ids;
  absl::flat_hash_set<std::string> domain_ids;
  int questions = 0;
  for (int d = 0; d < instrument.domains_size(); ++d) {
    const v1::InstrumentDomain& domain = instrument.domains(d);
    const std::string field = absl::StrCat("instrument.domains[", d, "]");
    RETURN_IF_ERROR(ValidateIdentifier(domain.domain_id(), field + ".domain_id", kMaxQuestionIdChars));
    if (!domain_ids.insert(domain.domain_id()).second) {
      return InvalidField(field + ".domain_id", "is used by another domain");
    }
    RETURN_IF_ERROR(ValidateMeaningfulText(domain.title(), field + ".title", kMaxTitleChars));
    if (domain.questions_size() < 1) return InvalidField(field + ".questions", "must hold a question");
    for (int q = 0; q < domain.questions_size(); ++q) {
      RETURN_IF_ERROR(
          ValidateQuestion(domain.questions(q), absl::StrCat(field, ".questions[", q, "]"), question_ids));
    }
    questions += domain.questions_size();
  }
  if (questions > kMaxQuestionsPerInstrument) {
    return InvalidField("instrument.domains", "may hold at most 200 questions in all");
  }
  return ValidateBands(instrument);
}

absl::StatusOr<Score> ScoreAnswers(const v1::Instrument& instrument,
                                   const google::protobuf::RepeatedPtrField<v1::Answer>& answers) {
  absl::flat_hash_map<std::string, const v1::InstrumentQuestion*> questions;
  for (const auto& domain : instrument.domains()) {
    for (const auto& q : domain.questions()) questions.emplace(q.question_id(), &q);
  }
  Score score;
  absl::flat_hash_set<std::string> answered;
  for (int i = 0; i < answers.size(); ++i) {
    const v1::Answer& a = answers.Get(i);
    const std::string field = absl::StrCat("answers[", i, "]");
    auto found = questions.find(a.question_id());
    if (found == questions.end()) {
      return InvalidField(field + ".question_id", "is not a question of this instrument version");
    }
    if (!answered.insert(a.question_id()).second) {
      return InvalidField(field + ".question_id", "answers a question already answered");
    }
    const v1::InstrumentQuestion& q = *found->second;
    bool allowed = false;
    for (const auto& o : q.options()) allowed = allowed || o.score() == a.score();
    if (!allowed) return InvalidField(field + ".score", "is not one of the question's options");
    if (q.emergency_override()) {
      score.emergency_override = score.emergency_override || a.score() == 1;
    } else {
      score.total += a.score();
    }
  }
  if (answered.size() != questions.size()) {
    return InvalidField("answers", "must answer every question of the instrument");
  }
  score.grade = v1::RISK_LEVEL_LOW;
  for (const auto& band : instrument.bands()) {
    if (score.total >= band.min_total()) score.grade = band.risk_level();
  }
  if (score.emergency_override) score.grade = v1::RISK_LEVEL_EXTREME;
  return score;
}

}  // namespace shouhu::registry
