// A fixed set of threads for work that must not run on a gRPC callback thread: slow password hashing and
// database reads. Work beyond the queue bound is refused rather than queued without limit.
#ifndef SHOUHU_SERVICES_GATEWAY_WORKER_POOL_H_
#define SHOUHU_SERVICES_GATEWAY_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace shouhu::gateway {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();  // finishes queued work, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full: the caller answers for the work itself.
  bool Submit(std::function<void()> work);

 private:
  void Run();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_WORKER_POOL_H_
