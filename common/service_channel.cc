#include "common/service_channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>

#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"

namespace shouhu {
namespace {

// Reconnection backoff cap: gRPC's two-minute default would leave a client failing for up to two minutes
// after its dependency came back.
constexpr int kMaxReconnectBackoffMs = 5000;

absl::Duration Backoff(const CallPolicy& policy, int retry, absl::BitGen& random) {
  absl::Duration ceiling = policy.initial_backoff;
  for (int i = 1; i < retry && ceiling < policy.max_backoff; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.max_backoff);
  return absl::Nanoseconds(
      absl::Uniform<int64_t>(absl::IntervalClosed, random, 0, absl::ToInt64Nanoseconds(ceiling)));
}

}  // namespace

std::unique_ptr<ServiceChannel> ServiceChannel::Connect(const std::string& target, CallPolicy policy) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  return std::make_unique<ServiceChannel>(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args), policy);
}

absl::Status ServiceChannel::Call(const CallIdentity& identity, Idempotency idempotency,
                                  const std::function<grpc::Status(grpc::ClientContext&)>& attempt) const {
  const absl::Time deadline = absl::Now() + policy_.deadline;
  const int attempts = idempotency == Idempotency::kIdempotent ? std::max(1, policy_.max_attempts) : 1;
  absl::BitGen random;
  grpc::Status status;
  for (int n = 1;; ++n) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    if (identity) identity(context);
    status = attempt(context);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE || n >= attempts) break;
    const absl::Duration wait = Backoff(policy_, n, random);
    if (absl::Now() + wait >= deadline) break;
    absl::SleepFor(wait);
  }
  return FromGrpcStatus(status);
}

}  // namespace shouhu
