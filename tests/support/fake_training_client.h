// A TrainingClient held in memory, for fast edge tests of services that ask whether people are qualified:
// a participant the test marked qualified is, anyone else is not (reason: a missing course), or every call
// answers the error the test sets; records each call.
#ifndef SHOUHU_TESTS_SUPPORT_FAKE_TRAINING_CLIENT_H_
#define SHOUHU_TESTS_SUPPORT_FAKE_TRAINING_CLIENT_H_

#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/training/training_client.h"

namespace shouhu::testing {

class FakeTrainingClient final : public training::TrainingClient {
 public:
  void SetQualified(const std::string& participant_id, bool qualified);
  void FailWith(absl::Status status);
  // "CheckQualification <id> <date>", "BatchCheckQualification <n> <date>", in order.
  std::vector<std::string> calls() const;

  absl::StatusOr<training::v1::QualificationResult> CheckQualification(
      const CallIdentity& as, const std::string& participant_id, training::v1::Activity activity,
      const std::string& date) const override;
  absl::StatusOr<std::vector<training::v1::QualificationResult>> BatchCheckQualification(
      const CallIdentity& as, const std::vector<std::string>& participant_ids,
      training::v1::Activity activity, const std::string& date) const override;
  // Organisations answer as participants do: qualified when the test marked their id.
  absl::StatusOr<training::v1::QualificationResult> CheckOrganisation(const CallIdentity& as,
                                                                      const std::string& organisation_id,
                                                                      const std::string& date) const override;

 private:
  training::v1::QualificationResult ResultFor(const std::string& participant_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::set<std::string> qualified_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_FAKE_TRAINING_CLIENT_H_
