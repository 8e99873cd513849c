// What other services ask the training service — visits: is this volunteer qualified (certified, background
// check cleared) for a home visit on the visit's date, one or many at once; allowance: is this social
// organisation's qualification current on a day — behind an interface, so their
// tests can stand up the real service on a TestServer or use a fake (tests/support/fake_training_client.h).
// Every call says whom it speaks for (CallIdentity).
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_CLIENT_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/call_identity.h"
#include "common/service_channel.h"
#include "shouhu/training/v1/training.grpc.pb.h"

namespace shouhu::training {

class TrainingClient {
 public:
  virtual ~TrainingClient() = default;

  // `date`: YYYY-MM-DD. Every reason the participant is not qualified comes back.
  virtual absl::StatusOr<v1::QualificationResult> CheckQualification(const CallIdentity& as,
                                                                     const std::string& participant_id,
                                                                     v1::Activity activity,
                                                                     const std::string& date) const = 0;
  // One result per participant, in the order asked (at most 1000 at once).
  virtual absl::StatusOr<std::vector<v1::QualificationResult>> BatchCheckQualification(
      const CallIdentity& as, const std::vector<std::string>& participant_ids, v1::Activity activity,
      const std::string& date) const = 0;
  // Whether the organisation's qualification record covers `date` (YYYY-MM-DD); the reasons when not.
  virtual absl::StatusOr<v1::QualificationResult> CheckOrganisation(const CallIdentity& as,
                                                                    const std::string& organisation_id,
                                                                    const std::string& date) const = 0;
};

// Over the process's one channel to the training service. Both calls are reads: retried on UNAVAILABLE.
class GrpcTrainingClient final : public TrainingClient {
 public:
  // `channel` must outlive the client.
  explicit GrpcTrainingClient(const ServiceChannel& channel)
      : channel_(channel), stub_(v1::TrainingService::NewStub(channel.channel())) {}

  absl::StatusOr<v1::QualificationResult> CheckQualification(const CallIdentity& as,
                                                             const std::string& participant_id,
                                                             v1::Activity activity,
                                                             const std::string& date) const override;
  absl::StatusOr<std::vector<v1::QualificationResult>> BatchCheckQualification(
      const CallIdentity& as, const std::vector<std::string>& participant_ids, v1::Activity activity,
      const std::string& date) const override;
  absl::StatusOr<v1::QualificationResult> CheckOrganisation(const CallIdentity& as,
                                                            const std::string& organisation_id,
                                                            const std::string& date) const override;

 private:
  const ServiceChannel& channel_;
  std::unique_ptr<v1::TrainingService::Stub> stub_;
};

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_CLIENT_H_
