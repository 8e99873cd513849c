// A client-streaming call served one message at a time on the call workers (common/call_workers.h).
#ifndef SHOUHU_COMMON_STREAMED_CALL_H_
#define SHOUHU_COMMON_STREAMED_CALL_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "common/call_workers.h"

namespace shouhu {

// Reads a client stream message by message, handing each to `Step` on a call worker and reading the next
// only when it is done; when the client has sent everything, `EndThen` builds the answer. The first failure
// ends the call with its status (what earlier messages committed stays committed).
template <typename Request>
class StreamedCall : public grpc::ServerReadReactor<Request> {
 public:
  StreamedCall(grpc::CallbackServerContext* context, CallWorkers& workers)
      : context_(context), workers_(workers) {}

  void Begin() { this->StartRead(&request_); }

  void OnReadDone(bool ok) override {
    const bool queued = workers_.Run([this, ok] {
      if (context_->IsCancelled()) {
        this->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
        return;
      }
      if (!ok) {
        EndThen([this](const absl::Status& status) { this->Finish(workers_.Answer(*context_, status)); });
        return;
      }
      const absl::Status status = Step(request_);
      if (!status.ok()) {
        this->Finish(workers_.Answer(*context_, status));
        return;
      }
      this->StartRead(&request_);
    });
    if (!queued) {
      this->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, std::string(kOverloadedMessage)));
    }
  }

  void OnDone() override { delete this; }

 protected:
  virtual absl::Status Step(const Request& request) = 0;
  // Called on a call worker once the client has sent everything; `ended` finishes the call, on this worker or
  // later from another thread (a call whose answer waits for a commit frees its worker meanwhile).
  virtual void EndThen(std::function<void(const absl::Status&)> ended) = 0;

  grpc::CallbackServerContext* const context_;

 private:
  CallWorkers& workers_;
  Request request_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_STREAMED_CALL_H_
