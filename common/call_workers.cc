#include "common/call_workers.h"

#include <chrono>

namespace shouhu {
namespace {

// The request id the gateway forwarded (x-request-id), so a fault in the log finds its audit row.
std::string RequestIdOf(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("x-request-id");
  return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
}

}  // namespace

bool CallerGaveUp(const grpc::CallbackServerContext& context) {
  return context.IsCancelled() || context.deadline() <= std::chrono::system_clock::now();
}

CallWorkers::CallWorkers(int workers, size_t max_queued, Logger& logger)
    : logger_(logger), pool_(workers, max_queued) {}

CallWorkers::CallWorkers(int workers, size_t max_queued)
    : own_logger_(std::make_unique<Logger>("service")), logger_(*own_logger_), pool_(workers, max_queued) {}

grpc::ServerUnaryReactor* CallWorkers::Serve(grpc::CallbackServerContext* context,
                                             std::function<absl::Status()> work) {
  return ServeThen(context, [work = std::move(work)](Finish finish) { finish(work()); });
}

grpc::ServerUnaryReactor* CallWorkers::ServeThen(grpc::CallbackServerContext* context,
                                                 std::function<void(Finish)> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued = pool_.Submit([this, context, reactor, work = std::move(work)] {
    if (CallerGaveUp(*context)) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, std::string(kGaveUpMessage)));
      return;
    }
    work([this, context, reactor](absl::Status status) {
      reactor->Finish(ToGrpcStatus(status, logger_, RequestIdOf(*context)));
    });
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, std::string(kOverloadedMessage)));
  }
  return reactor;
}

grpc::ServerUnaryReactor* CallWorkers::ServeOnArrival(grpc::CallbackServerContext* context,
                                                      std::function<void(Finish)> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  work([this, context, reactor](absl::Status status) {
    reactor->Finish(ToGrpcStatus(status, logger_, RequestIdOf(*context)));
  });
  return reactor;
}

void CallWorkers::Continue(const grpc::CallbackServerContext& context, Finish finish,
                           std::function<void(Finish)> work) {
  const bool queued = pool_.Submit([&context, finish, work = std::move(work)] {
    if (CallerGaveUp(context)) return finish(absl::CancelledError(kGaveUpMessage));
    work(finish);
  });
  if (!queued) finish(absl::ResourceExhaustedError(kOverloadedMessage));
}

grpc::Status CallWorkers::Answer(const grpc::CallbackServerContext& context, const absl::Status& status) {
  return ToGrpcStatus(status, logger_, RequestIdOf(context));
}

}  // namespace shouhu
