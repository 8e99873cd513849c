#include "services/gateway/rate_limiter.h"

#include <algorithm>
#include <functional>

namespace shouhu::gateway {

bool RateLimiter::TryAcquire(const std::string& caller) {
  if (limit_.rate_per_second <= 0) return true;
  Shard& shard = shards_[std::hash<std::string>()(caller) % kShards];
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&shard.mu);
  if (shard.buckets.size() > 10000) ForgetFullBuckets(shard, now);
  auto [it, inserted] = shard.buckets.try_emplace(caller, Bucket{limit_.burst, now});
  Bucket& bucket = it->second;
  if (!inserted) {
    const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - bucket.refilled));
    bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed * limit_.rate_per_second);
    bucket.refilled = now;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

void RateLimiter::ForgetFullBuckets(Shard& shard, absl::Time now) {
  const absl::Duration refill = absl::Seconds(limit_.burst / limit_.rate_per_second);
  for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
    it = now - it->second.refilled > refill ? shard.buckets.erase(it) : std::next(it);
  }
}

}  // namespace shouhu::gateway
