// The one mapping between absl::Status (inside every service) and grpc::Status (at the edge). Codes map
// one-to-one. A field recorded by InvalidField travels as gRPC's richer error model: error_details (the
// grpc-status-details-bin trailer) holds a google.rpc.Status whose details are a google.rpc.BadRequest, which
// buf curl, grpcurl and every language's gRPC client can read.
//
// The message of an internal fault (INTERNAL, UNKNOWN, DATA_LOSS, UNAVAILABLE) is written for us, not for the
// caller: "database error 2002 (HY000)", an address, a driver's words. At the edge it becomes a plain
// sentence, and the original goes to the structured log where a Logger is at hand. Every other code's message
// is written for callers and passes unchanged. A stale edit (StaleVersion) carries a google.rpc.ErrorInfo
// whose metadata names the record's current_version.
#ifndef SHOUHU_COMMON_GRPC_STATUS_H_
#define SHOUHU_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/log.h"

namespace shouhu {

grpc::Status ToGrpcStatus(const absl::Status& status);
// The same, and an internal fault's original message is logged with what identifies the call (its request
// id or method).
grpc::Status ToGrpcStatus(const absl::Status& status, Logger& logger, absl::string_view call);

// Whether a status of this code carries our own detail rather than a message for the caller.
bool IsInternalFault(absl::StatusCode code);

// "INVALID_ARGUMENT" for 3: the canonical name, for logs, metrics labels and the JSON face.
std::string GrpcCodeName(int code);

// The first field violation of a status's google.rpc.BadRequest detail, or empty.
std::string FieldOfGrpcStatus(const grpc::Status& status);

// The current version of a stale edit's google.rpc.ErrorInfo (StaleVersion), or -1.
int64_t CurrentVersionOfGrpcStatus(const grpc::Status& status);

// For clients of other services: keeps the code, the message, the field and a stale edit's current version.
absl::Status FromGrpcStatus(const grpc::Status& status);

// For clients that send a call again as it was (same request id, or same import id and chunk numbers):
// whether a call that failed so may succeed that way. UNAVAILABLE (an outage, a process draining),
// RESOURCE_EXHAUSTED (a service shedding load) and ABORTED (a deadlock the service's own retries did not get
// past); not a stale edit (ABORTED with a current version: the caller rereads and decides), nor any other
// code.
bool MaySendAgain(const grpc::Status& status);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_GRPC_STATUS_H_
