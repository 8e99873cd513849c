#include "common/grpc_status.h"

#include <string>

#include "common/status_macros.h"
#include "shouhu/common/v1/errors.pb.h"

namespace shouhu {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string field = FieldOf(status);
  if (field.empty()) return grpc::Status(code, std::string(status.message()));
  common::v1::ErrorDetail detail;
  auto* violation = detail.add_field_violations();
  violation->set_field(field);
  violation->set_description(std::string(status.message()));
  return grpc::Status(code, std::string(status.message()), detail.SerializeAsString());
}

std::string GrpcCodeName(int code) {
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? "UNKNOWN" : name;
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  common::v1::ErrorDetail detail;
  if (!status.error_details().empty() && detail.ParseFromString(status.error_details()) &&
      detail.field_violations_size() > 0) {
    absl::Status result(code, status.error_message());
    result.SetPayload(kFieldPayload, absl::Cord(detail.field_violations(0).field()));
    return result;
  }
  return absl::Status(code, status.error_message());
}

}  // namespace shouhu
