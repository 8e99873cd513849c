#include "common/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace shouhu {
namespace {

constexpr absl::string_view kStaleVersionReason = "STALE_VERSION";

// What a caller reads instead of an internal fault's own message.
std::string PlainMessage(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable ? "the service is temporarily unavailable; retry later"
                                                : "internal error";
}

}  // namespace

bool IsInternalFault(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss || code == absl::StatusCode::kUnavailable;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (IsInternalFault(status.code())) return grpc::Status(code, PlainMessage(status.code()));
  const std::string message(status.message());
  if (const int64_t version = CurrentVersionOf(status); version >= 0) {
    google::rpc::ErrorInfo info;
    info.set_reason(std::string(kStaleVersionReason));
    info.set_domain("shouhu.dev");
    (*info.mutable_metadata())["current_version"] = absl::StrCat(version);
    google::rpc::Status details;
    details.set_code(code);
    details.set_message(message);
    details.add_details()->PackFrom(info);
    return grpc::Status(code, message, details.SerializeAsString());
  }
  const std::string field = FieldOf(status);
  if (field.empty()) return grpc::Status(code, message);
  google::rpc::BadRequest bad_request;
  auto* violation = bad_request.add_field_violations();
  violation->set_field(field);
  // InvalidField wrote "<field>: <description>"; the violation names the field already.
  violation->set_description(absl::StartsWith(message, field + ": ") ? message.substr(field.size() + 2)
                                                                     : message);
  google::rpc::Status details;
  details.set_code(code);
  details.set_message(message);
  details.add_details()->PackFrom(bad_request);
  return grpc::Status(code, message, details.SerializeAsString());
}

grpc::Status ToGrpcStatus(const absl::Status& status, Logger& logger, absl::string_view call) {
  if (IsInternalFault(status.code())) {
    const nlohmann::json fields = {{"call", std::string(call)},
                                   {"code", GrpcCodeName(static_cast<int>(status.code()))},
                                   {"error", std::string(status.message())}};
    // UNAVAILABLE is an outage the health status already shows (and may repeat for every call while it
    // lasts); the others are faults to look into.
    if (status.code() == absl::StatusCode::kUnavailable) {
      logger.Warn("call failed", fields);
    } else {
      logger.Error("call failed", fields);
    }
  }
  return ToGrpcStatus(status);
}

std::string GrpcCodeName(int code) {
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? "UNKNOWN" : name;
}

std::string FieldOfGrpcStatus(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) return "";
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::BadRequest bad_request;
    if (any.UnpackTo(&bad_request) && bad_request.field_violations_size() > 0) {
      return bad_request.field_violations(0).field();
    }
  }
  return "";
}

int64_t CurrentVersionOfGrpcStatus(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) return -1;
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::ErrorInfo info;
    int64_t version = -1;
    if (any.UnpackTo(&info) && info.reason() == kStaleVersionReason &&
        absl::SimpleAtoi(
            info.metadata().count("current_version") ? info.metadata().at("current_version") : "",
            &version)) {
      return version;
    }
  }
  return -1;
}

bool MaySendAgain(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    case grpc::StatusCode::ABORTED:
      return CurrentVersionOfGrpcStatus(status) < 0;
    default:
      return false;
  }
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  absl::Status result(code, status.error_message());
  if (std::string field = FieldOfGrpcStatus(status); !field.empty()) {
    result.SetPayload(kFieldPayload, absl::Cord(field));
  }
  if (const int64_t version = CurrentVersionOfGrpcStatus(status); version >= 0) {
    result.SetPayload(kCurrentVersionPayload, absl::Cord(absl::StrCat(version)));
  }
  return result;
}

}  // namespace shouhu
