// How a service calls another one: one channel per dependency per process, made once at start and shared by
// every call (gRPC multiplexes calls on it and reconnects by itself); a deadline on every call, covering its
// retries; and retries, with jittered exponential backoff, only where repeating the call cannot do a thing
// twice — reads, and mutations carrying a request_id the other service deduplicates on. Only UNAVAILABLE is
// retried: the other side did not take the call up (a restart, a replica going away); any other answer is
// the answer. The per-dependency clients (RegistryClient, TrainingClient) are built on this.
//
// Calls block: make them from a call worker or a background thread, never from a gRPC callback reaction.
#ifndef SHOUHU_COMMON_SERVICE_CHANNEL_H_
#define SHOUHU_COMMON_SERVICE_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/call_identity.h"

namespace shouhu {

struct CallPolicy {
  // The whole call, retries and backoff included.
  absl::Duration deadline = absl::Seconds(5);
  // Attempts of an idempotent call (1 + retries).
  int max_attempts = 3;
  // Before retry n (1, 2, …) the wait is uniform in [0, min(max_backoff, initial_backoff * 2^(n-1))]: full
  // jitter, so the replicas that lost a dependency at the same moment do not all come back at once.
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(1);
};

enum class Idempotency {
  kIdempotent,     // a read, or a mutation with a request_id: retried on UNAVAILABLE
  kNotIdempotent,  // made once, whatever happens
};

class ServiceChannel {
 public:
  // A channel to `target` ("host:port", "dns:///registry:50051"); it connects on first use. Reconnection
  // attempts back off to at most a few seconds apart (gRPC's default is two minutes), so a restarted
  // dependency is found again quickly.
  static std::unique_ptr<ServiceChannel> Connect(const std::string& target, CallPolicy policy = {});
  explicit ServiceChannel(std::shared_ptr<grpc::Channel> channel, CallPolicy policy = {})
      : channel_(std::move(channel)), policy_(policy) {}

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const CallPolicy& policy() const { return policy_; }

  // Runs `attempt` once, or on UNAVAILABLE again while idempotent and attempts and time remain. Each attempt
  // gets a fresh context carrying `identity` and the call's one deadline.
  absl::Status Call(const CallIdentity& identity, Idempotency idempotency,
                    const std::function<grpc::Status(grpc::ClientContext&)>& attempt) const;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  CallPolicy policy_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_SERVICE_CHANNEL_H_
