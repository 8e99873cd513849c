#include "services/training/training_client.h"

#include "common/status_macros.h"

namespace shouhu::training {

absl::StatusOr<v1::QualificationResult> GrpcTrainingClient::CheckQualification(
    const CallIdentity& as, const std::string& participant_id, v1::Activity activity,
    const std::string& date) const {
  v1::CheckQualificationRequest request;
  request.set_participant_id(participant_id);
  request.set_activity(activity);
  request.set_date(date);
  v1::CheckQualificationResponse response;
  RETURN_IF_ERROR(channel_.Call(as, Idempotency::kIdempotent, [&](grpc::ClientContext& context) {
    return stub_->CheckQualification(&context, request, &response);
  }));
  return std::move(*response.mutable_result());
}

absl::StatusOr<std::vector<v1::QualificationResult>> GrpcTrainingClient::BatchCheckQualification(
    const CallIdentity& as, const std::vector<std::string>& participant_ids, v1::Activity activity,
    const std::string& date) const {
  v1::BatchCheckQualificationRequest request;
  for (const std::string& id : participant_ids) request.add_participant_ids(id);
  request.set_activity(activity);
  request.set_date(date);
  v1::BatchCheckQualificationResponse response;
  RETURN_IF_ERROR(channel_.Call(as, Idempotency::kIdempotent, [&](grpc::ClientContext& context) {
    return stub_->BatchCheckQualification(&context, request, &response);
  }));
  return std::vector<v1::QualificationResult>(std::make_move_iterator(response.mutable_results()->begin()),
                                              std::make_move_iterator(response.mutable_results()->end()));
}

absl::StatusOr<v1::QualificationResult> GrpcTrainingClient::CheckOrganisation(
    const CallIdentity& as, const std::string& organisation_id, const std::string& date) const {
  v1::CheckQualificationRequest request;
  request.set_organisation_id(organisation_id);
  // The organisation's standing does not depend on the activity, but the request names one.
  request.set_activity(v1::ACTIVITY_CASE_MANAGEMENT);
  request.set_date(date);
  v1::CheckQualificationResponse response;
  RETURN_IF_ERROR(channel_.Call(as, Idempotency::kIdempotent, [&](grpc::ClientContext& context) {
    return stub_->CheckQualification(&context, request, &response);
  }));
  return std::move(*response.mutable_result());
}

}  // namespace shouhu::training
