// The one mapping between absl::Status (inside every service) and grpc::Status (at the edge). Codes map
// one-to-one; a field recorded by InvalidField travels as a shouhu.common.v1.ErrorDetail in error_details.
#ifndef SHOUHU_COMMON_GRPC_STATUS_H_
#define SHOUHU_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace shouhu {

grpc::Status ToGrpcStatus(const absl::Status& status);

// "INVALID_ARGUMENT" for 3: the canonical name, for logs, metrics labels and the JSON face.
std::string GrpcCodeName(int code);

// For clients of other services: keeps the code, the message and the field.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_GRPC_STATUS_H_
