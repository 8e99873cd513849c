// A fixed set of threads for work that must not run on a gRPC callback thread: database calls, slow password
// hashing. Work beyond the queue bound is refused rather than queued without limit.
#ifndef SHOUHU_COMMON_WORKER_POOL_H_
#define SHOUHU_COMMON_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace shouhu {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();  // finishes queued work, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping: the caller answers for the work itself.
  bool Submit(std::function<void()> work);

 private:
  void Run();

  const size_t max_queued_;
  // std::condition_variable rather than absl::Mutex::Await: one waiter is woken per job, where Await would
  // evaluate every idle worker's condition on each unlock.
  std::mutex mu_;
  std::condition_variable work_arrived_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_WORKER_POOL_H_
