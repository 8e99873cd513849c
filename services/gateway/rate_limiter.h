// Per-client token buckets: each caller (token subject or API client) may make `rate_per_second` calls per
// second on average and `burst` at once. A call that finds its bucket empty is RESOURCE_EXHAUSTED.
#ifndef SHOUHU_SERVICES_GATEWAY_RATE_LIMITER_H_
#define SHOUHU_SERVICES_GATEWAY_RATE_LIMITER_H_

#include <array>
#include <string>
#include <unordered_map>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace shouhu::gateway {

struct RateLimit {
  double rate_per_second = 50;
  double burst = 100;
};

class RateLimiter {
 public:
  RateLimiter(RateLimit limit, const Clock& clock) : limit_(limit), clock_(clock) {}

  // Takes one token from the caller's bucket; false when it is empty. A rate of 0 turns limiting off.
  bool TryAcquire(const std::string& caller);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time refilled;
  };
  struct Shard {
    absl::Mutex mu;
    std::unordered_map<std::string, Bucket> buckets ABSL_GUARDED_BY(mu);
  };
  static constexpr size_t kShards = 16;
  // Buckets idle long enough to be full again carry no state worth keeping.
  void ForgetFullBuckets(Shard& shard, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  const RateLimit limit_;
  const Clock& clock_;
  std::array<Shard, kShards> shards_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_RATE_LIMITER_H_
