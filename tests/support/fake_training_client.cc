#include "tests/support/fake_training_client.h"

#include "absl/strings/str_cat.h"

namespace shouhu::testing {

void FakeTrainingClient::SetQualified(const std::string& participant_id, bool qualified) {
  absl::MutexLock lock(&mu_);
  if (qualified) {
    qualified_.insert(participant_id);
  } else {
    qualified_.erase(participant_id);
  }
}

void FakeTrainingClient::FailWith(absl::Status status) {
  absl::MutexLock lock(&mu_);
  failure_ = std::move(status);
}

std::vector<std::string> FakeTrainingClient::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

training::v1::QualificationResult FakeTrainingClient::ResultFor(const std::string& participant_id) const {
  training::v1::QualificationResult result;
  result.set_participant_id(participant_id);
  result.set_qualified(qualified_.count(participant_id) > 0);
  if (!result.qualified()) {
    result.add_reasons()->set_reason(training::v1::QUALIFICATION_REASON_MISSING_COURSE);
  }
  return result;
}

absl::StatusOr<training::v1::QualificationResult> FakeTrainingClient::CheckQualification(
    const CallIdentity&, const std::string& participant_id, training::v1::Activity,
    const std::string& date) const {
  absl::MutexLock lock(&mu_);
  calls_.push_back(absl::StrCat("CheckQualification ", participant_id, " ", date));
  if (!failure_.ok()) return failure_;
  return ResultFor(participant_id);
}

absl::StatusOr<std::vector<training::v1::QualificationResult>> FakeTrainingClient::BatchCheckQualification(
    const CallIdentity&, const std::vector<std::string>& participant_ids, training::v1::Activity,
    const std::string& date) const {
  absl::MutexLock lock(&mu_);
  calls_.push_back(absl::StrCat("BatchCheckQualification ", participant_ids.size(), " ", date));
  if (!failure_.ok()) return failure_;
  std::vector<training::v1::QualificationResult> results;
  for (const std::string& id : participant_ids) results.push_back(ResultFor(id));
  return results;
}

absl::StatusOr<training::v1::QualificationResult> FakeTrainingClient::CheckOrganisation(
    const CallIdentity&, const std::string& organisation_id, const std::string& date) const {
  absl::MutexLock lock(&mu_);
  calls_.push_back(absl::StrCat("CheckOrganisation ", organisation_id, " ", date));
  if (!failure_.ok()) return failure_;
  training::v1::QualificationResult result;
  result.set_organisation_id(organisation_id);
  result.set_qualified(qualified_.count(organisation_id) > 0);
  if (!result.qualified()) {
    result.add_reasons()->set_reason(training::v1::QUALIFICATION_REASON_ORGANISATION_QUALIFICATION_LAPSED);
  }
  return result;
}

}  // namespace shouhu::testing
