// How a domain service serves its calls: gRPC's callback API, with the blocking part of every call (the
// database: Connector/C++ is synchronous) handed to a pool of worker threads the size of the database pool.
// Blocking inside a callback reaction would starve gRPC's own threads (grpc/grpc#36609, #30510), so nothing
// blocking runs there.
//
// Chosen by measurement over the synchronous API with its threads bounded to the pool (STYLE.md asks for
// both): the registry benchmark, pool 32, both servers in one run (tests/bench/registry; the experiment is
// commit 21c4e35 on branch experiment/callback-registry), calls per second:
//
//                 sync    callback + workers
//   GetChild @16  5,203   7,206
//   GetChild @64  5,366   8,975
//   Submit   @1     939   1,445
//   Submit   @64  2,994   4,155
//
// The registry's own CPU per GetChild fell from about 165 to 100 us: the sync server hands each call from a
// poller thread to a worker of its own pool and back, and those switches were a third of its profile.
// The training benchmark (both builds, same machine, two runs each) agrees for concurrent small calls
// (CheckQualification @16: 5,018-5,129/s sync, 5,440-6,098/s callback) but not for one large answer at a
// time: BatchCheckQualification of 300 people @1 took p50 5.8-6.0 ms sync and 6.5-7.8 ms callback
// (@4: 317-360/s against 306-313/s). The services' load is many small concurrent calls, so callback it is;
// where the batch's extra time goes is not yet known.
//
// A call waits in the pool's queue for a worker (and so for a connection) when all are busy; beyond
// 4 x workers + 64 queued it is refused RESOURCE_EXHAUSTED at once, so a flood sheds load instead of
// growing memory. A call cancelled or past its deadline while it waited is not run. An internal fault's own
// message goes to the log, and the caller gets a plain one (grpc_status.h).
#ifndef SHOUHU_COMMON_CALL_WORKERS_H_
#define SHOUHU_COMMON_CALL_WORKERS_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/worker_pool.h"

namespace shouhu {

// What a call is told when no worker can take it: every one busy and the queue full.
inline constexpr absl::string_view kOverloadedMessage = "the service is overloaded; retry later";
// What a call is told (CANCELLED, which it no longer hears) when its caller gave up while it waited.
inline constexpr absl::string_view kGaveUpMessage = "the caller gave up before it was served";

// The caller gave up (cancelled, or its deadline passed) while the call waited: work for it would be for
// nobody. Any thread may ask, until the call is finished. (The server may not have seen the deadline pass
// yet, hence the clock.)
bool CallerGaveUp(const grpc::CallbackServerContext& context);

class CallWorkers {
 public:
  CallWorkers(int workers, Logger& logger)
      : CallWorkers(workers, static_cast<size_t>(4 * workers + 64), logger) {}
  CallWorkers(int workers, size_t max_queued, Logger& logger);
  // For tests: faults are logged to stderr.
  explicit CallWorkers(int workers) : CallWorkers(workers, static_cast<size_t>(4 * workers + 64)) {}
  CallWorkers(int workers, size_t max_queued);

  // Runs `work` on a worker and finishes the unary call with its status, mapped at the edge. `work` may
  // capture the call's request and response: they live until the call is finished.
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context, std::function<absl::Status()> work);

  // Finishes a call begun by ServeThen: call it exactly once, from any thread; it does not block.
  using Finish = std::function<void(absl::Status)>;
  // As Serve, for a call whose answer waits on something that completes later on another thread (the
  // registry's access-log commit): `work` runs on a worker and hands `finish` on, and the worker is free
  // again while the call waits.
  grpc::ServerUnaryReactor* ServeThen(grpc::CallbackServerContext* context, std::function<void(Finish)> work);

  // As ServeThen, for work that never blocks and only hands the call on (to a group commit whose committer
  // finishes it): it runs at once on the gRPC thread that delivered the call, not on a worker, sparing the
  // hand-off to a worker and its wake-up (about a tenth of the allowance's CPU per payment, issue 11). Work
  // that touches the database, waits on a lock for long or calls another service must use ServeThen.
  grpc::ServerUnaryReactor* ServeOnArrival(grpc::CallbackServerContext* context,
                                           std::function<void(Finish)> work);
  // The rest of a call begun by ServeOnArrival, when it turns out to need a worker after all (the registry's
  // referral whose village is not cached): `work` runs on a worker with the call's `finish`, unless its
  // caller gave up meanwhile (CANCELLED) or the queue is full (RESOURCE_EXHAUSTED), as ServeThen does.
  void Continue(const grpc::CallbackServerContext& context, Finish finish, std::function<void(Finish)> work);

  // One step of a streaming call (a client-streaming import handles each message it reads): runs `work` on
  // a worker. False when the queue is full: the caller finishes its call RESOURCE_EXHAUSTED.
  bool Run(std::function<void()> work) { return pool_.Submit(std::move(work)); }

  // The status a streaming call finishes with: Status mapped as Serve maps it, faults logged.
  grpc::Status Answer(const grpc::CallbackServerContext& context, const absl::Status& status);

 private:
  std::unique_ptr<Logger> own_logger_;  // when none was given
  Logger& logger_;
  WorkerPool pool_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_CALL_WORKERS_H_
