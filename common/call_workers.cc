#include "common/call_workers.h"

#include <chrono>

namespace shouhu {

CallWorkers::CallWorkers(int workers, size_t max_queued) : pool_(workers, max_queued) {}

grpc::ServerUnaryReactor* CallWorkers::Serve(grpc::CallbackServerContext* context,
                                             std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued = pool_.Submit([context, reactor, work = std::move(work)] {
    // The caller gave up while the call waited: its work would be for nobody. (The server may not have
    // seen the deadline pass yet, hence the clock.)
    if (context->IsCancelled() || context->deadline() <= std::chrono::system_clock::now()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the caller gave up before it was served"));
      return;
    }
    reactor->Finish(ToGrpcStatus(work()));
  });
  if (!queued) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "the service is overloaded; retry later"));
  }
  return reactor;
}

}  // namespace shouhu
