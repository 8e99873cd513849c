#include "services/gateway/forwarding.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <atomic>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"
#include "google/protobuf/descriptor.h"
#include "services/gateway/public_services.h"

namespace shouhu::gateway {

std::string RequestIdOr(IdGenerator& ids, absl::string_view sent) {
  const bool usable = !sent.empty() && sent.size() <= 128 &&
                      std::all_of(sent.begin(), sent.end(), [](char c) { return c > ' ' && c < 127; });
  return usable ? std::string(sent) : ids.Next();
}

void PrepareBackendCall(const ForwardingEnv& env, const Principal& principal, const std::string& request_id,
                        std::chrono::system_clock::time_point caller_deadline, grpc::ClientContext& context) {
  const auto cap = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(env.max_deadline);
  context.set_deadline(std::min(caller_deadline, cap));
  env.signer.Attach(principal, context);
  context.AddMetadata(kRequestIdMetadata, request_id);
}

namespace {

// At most `max` bytes of `text`, cut at a UTF-8 character boundary: an audit column's width (a token's
// subject may be longer), so that one long value cannot make a whole batch of rows unwritable.
std::string Clipped(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

void RecordCall(const ForwardingEnv& env, const std::string& method, const Principal* principal,
                const std::string& request_id, const char* face, int grpc_code, absl::Time started) {
  const absl::Duration latency = absl::Now() - started;
  env.metrics.ObserveCall(method, grpc_code, latency);
  AuditRecord row;
  row.audit_id = env.ids.Next();
  row.occurred_at = started;
  row.request_id = Clipped(request_id, 128);
  row.subject = principal != nullptr ? Clipped(principal->subject(), 128) : "";
  row.organisation_id = principal != nullptr ? Clipped(principal->organisation_id(), 64) : "";
  row.method = Clipped(method, 255);
  row.face = face;
  row.grpc_code = grpc_code;
  row.latency_us = absl::ToInt64Microseconds(latency);
  env.audit.Record(std::move(row));
}

namespace {

// The first value the caller sent under `key`, or empty.
absl::string_view MetadataValue(const grpc::ServerContextBase& context, absl::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  return it == metadata.end() ? absl::string_view() : absl::string_view(it->second.data(), it->second.size());
}

// A call on a completion queue: awaited with RequestCall, then admitted and relayed to its backend on the
// same queue, then audited. Every operation it starts comes back to one of its steps; it holds one reference
// per operation (and one for the admission while that is out), and the last step back records the call and
// deletes it. The caller's side of a call and the backend's side may each have one read and one write out at
// once; flags under mu_ keep anything from being started on a side that has finished.
class QueuedCall {
 public:
  QueuedCall(Forwarder& owner, grpc::ServerCompletionQueue* queue)
      : owner_(owner), env_(owner.env()), queue_(queue), stream_(&context_) {
    owner_.CallBegins();
    // Delivered once the call is matched and then over (finished or cancelled); never for a call not matched.
    context_.AsyncNotifyWhenDone(&done_);
    owner_.service().RequestCall(&context_, &stream_, queue_, queue_, &accepted_);
  }

  // What a completion queue hands back.
  struct Step {
    QueuedCall* call;
    void (QueuedCall::*on)(bool ok);
    void Run(bool ok) { (call->*on)(ok); }
  };

 private:
  void Hold() { refs_.fetch_add(1); }
  void Release() {
    if (refs_.fetch_sub(1) != 1) return;
    if (accepted_ok_) {
      RecordCall(env_, method_, principal_.ok() ? &*principal_ : nullptr, request_id_, "grpc", final_code_,
                 started_);
    }
    Forwarder& owner = owner_;
    delete this;
    owner.CallEnds();
  }

  void OnAccepted(bool ok) {
    if (!ok) return Release();  // the server is shutting down: no call was matched
    accepted_ok_ = true;
    started_ = absl::Now();
    if (!owner_.stopping()) new QueuedCall(owner_, queue_);  // the next call on this queue
    Hold();                                                  // the done notification
    method_ = context_.method();
    request_id_ = RequestIdOr(env_.ids, MetadataValue(context_, kRequestIdMetadata));
    backend_ = env_.backends.Route(method_);
    const google::protobuf::MethodDescriptor* method = MethodOf(method_);
    if (backend_ == nullptr || method == nullptr) {
      principal_ = absl::UnimplementedError("no service behind the gateway serves this method");
      FinishCaller(
          grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no service behind the gateway serves this method"));
      return Release();
    }
    unary_ = !method->client_streaming() && !method->server_streaming();
    const absl::string_view authorization = MetadataValue(context_, "authorization");
    if (unary_) {
      // The request and the admission arrive in either order; the backend call starts when both are in.
      waiting_for_.store(2);
      Hold();
      stream_.Read(&request_, &caller_read_);
    } else {
      waiting_for_.store(1);
    }
    Hold();
    env_.admission.Admit(method_, authorization, [this](absl::StatusOr<Principal> principal) {
      principal_ = std::move(principal);
      Arrive();
      Release();
    });
    Release();
  }

  void OnDone(bool) {
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = context_.IsCancelled();
      if (cancelled_ && backend_started_) backend_context_.TryCancel();
    }
    Release();
  }

  void Arrive() {
    if (waiting_for_.fetch_sub(1) == 1) Forward();
  }

  void Forward() {
    if (!principal_.ok()) return FinishCaller(ToGrpcStatus(principal_.status()));
    if (unary_ && !has_request_) {
      return FinishCaller(grpc::Status(grpc::StatusCode::CANCELLED, "no request arrived"));
    }
    PrepareBackendCall(env_, *principal_, request_id_, context_.deadline(), backend_context_);
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return FinishCaller(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
      backend_started_ = true;
    }
    Hold();
    if (unary_) {
      unary_backend_ = backend_->PrepareUnaryCall(&backend_context_, method_, request_, queue_);
      unary_backend_->StartCall();
      unary_backend_->Finish(&response_, &backend_status_, &backend_finished_);
      return;
    }
    streaming_backend_ = backend_->PrepareCall(&backend_context_, method_, queue_);
    streaming_backend_->StartCall(&backend_began_);
  }

  // Sends the caller the status (and, for a unary call answered OK, the response) once.
  void FinishCaller(const grpc::Status& status) {
    final_code_ = status.error_code();
    Hold();
    stream_.Finish(status, &caller_finished_);
  }

  void OnCallerFinished(bool) { Release(); }

  // Unary: the caller's request is in.
  // Streaming: the caller's next message is in (ok), or the caller has sent its last (not ok).
  void OnCallerRead(bool ok) {
    if (unary_) {
      has_request_ = ok;
      Arrive();
      return Release();
    }
    {
      absl::MutexLock lock(&mu_);
      if (responses_done_) {
        requests_closed_ = true;  // the backend has answered: nothing more goes to it
      } else if (ok) {
        Hold();
        streaming_backend_->Write(request_, &backend_wrote_);
      } else {
        requests_closed_ = true;
        Hold();
        streaming_backend_->WritesDone(&backend_writes_done_);
      }
    }
    Release();
  }

  // The backend's side of a streaming call.
  void OnBackendBegan(bool ok) {
    if (!ok) {
      // The call never started: its status says why.
      absl::MutexLock lock(&mu_);
      FinishBackendLocked();
      return Release();
    }
    {
      absl::MutexLock lock(&mu_);
      Hold();
      stream_.Read(&request_, &caller_read_);
      Hold();
      streaming_backend_->Read(&response_, &backend_read_);
    }
    Release();
  }
  void OnBackendWrote(bool ok) {
    {
      absl::MutexLock lock(&mu_);
      if (ok && !responses_done_) {
        Hold();
        stream_.Read(&request_, &caller_read_);
      } else {
        requests_closed_ = true;
      }
    }
    Release();
  }
  void OnBackendWritesDone(bool) { Release(); }
  void OnBackendRead(bool ok) {
    if (ok) {
      Hold();
      stream_.Write(response_, &caller_wrote_);
      return Release();
    }
    {
      absl::MutexLock lock(&mu_);
      FinishBackendLocked();
    }
    Release();
  }
  void OnCallerWrote(bool ok) {
    if (ok) {
      Hold();
      streaming_backend_->Read(&response_, &backend_read_);
      return Release();
    }
    {
      absl::MutexLock lock(&mu_);
      backend_context_.TryCancel();  // the caller has gone
      FinishBackendLocked();
    }
    Release();
  }
  // No more responses: a caller's message read afterwards is not sent on, and the backend's status is asked.
  void FinishBackendLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    responses_done_ = true;
    Hold();
    streaming_backend_->Finish(&backend_status_, &backend_finished_);
  }

  // Both kinds: the backend's status (and a unary call's response) is in.
  void OnBackendFinished(bool) {
    const int code = backend_status_.error_code();
    if (unary_ && backend_status_.ok()) {
      final_code_ = code;
      Hold();
      stream_.WriteAndFinish(response_, grpc::WriteOptions(), backend_status_, &caller_finished_);
    } else {
      FinishCaller(CallerFacing(env_, method_, backend_status_));
      final_code_ = code;
    }
    Release();
  }

  Forwarder& owner_;
  const ForwardingEnv& env_;
  grpc::ServerCompletionQueue* const queue_;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  std::atomic<int> refs_{1};  // the awaited call
  bool accepted_ok_ = false;
  absl::Time started_;
  std::string method_;
  std::string request_id_;
  grpc::GenericStub* backend_ = nullptr;
  bool unary_ = false;
  absl::StatusOr<Principal> principal_;
  bool has_request_ = false;
  std::atomic<int> waiting_for_{0};  // unary: the request and the admission; streaming: the admission
  int final_code_ = grpc::StatusCode::UNKNOWN;
  grpc::ClientContext backend_context_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> unary_backend_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> streaming_backend_;
  grpc::Status backend_status_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool backend_started_ ABSL_GUARDED_BY(mu_) = false;
  bool responses_done_ ABSL_GUARDED_BY(mu_) = false;   // the backend sent its last response
  bool requests_closed_ ABSL_GUARDED_BY(mu_) = false;  // nothing more is sent to the backend

  Step accepted_{this, &QueuedCall::OnAccepted};
  Step done_{this, &QueuedCall::OnDone};
  Step caller_read_{this, &QueuedCall::OnCallerRead};
  Step caller_wrote_{this, &QueuedCall::OnCallerWrote};
  Step caller_finished_{this, &QueuedCall::OnCallerFinished};
  Step backend_began_{this, &QueuedCall::OnBackendBegan};
  Step backend_wrote_{this, &QueuedCall::OnBackendWrote};
  Step backend_writes_done_{this, &QueuedCall::OnBackendWritesDone};
  Step backend_read_{this, &QueuedCall::OnBackendRead};
  Step backend_finished_{this, &QueuedCall::OnBackendFinished};
};

// Calls awaited on each queue at once, so a burst of new calls is matched without waiting for a step.
constexpr int kAwaitedPerQueue = 8;

}  // namespace

const google::protobuf::MethodDescriptor* MethodOf(absl::string_view method) {
  // The public services' methods, found once: the generated pool takes its one mutex on every search, and
  // every forwarded call asks. Built on first use and never changed after, so readers need no lock.
  static const auto* const kPublicMethods = [] {
    auto* methods = new absl::flat_hash_map<std::string, const google::protobuf::MethodDescriptor*>();
    for (const std::string& service_name : ServicesIn(PublicProtoFiles())) {
      const google::protobuf::ServiceDescriptor* service =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
      for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
        (*methods)[absl::StrCat("/", service_name, "/", service->method(i)->name())] = service->method(i);
      }
    }
    return methods;
  }();
  if (auto known = kPublicMethods->find(method); known != kPublicMethods->end()) return known->second;
  if (!absl::ConsumePrefix(&method, "/")) return nullptr;
  std::string full_name(method);
  const size_t slash = full_name.find('/');
  if (slash == std::string::npos) return nullptr;
  full_name[slash] = '.';
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_name);
}

grpc::Status CallerFacing(const ForwardingEnv& env, absl::string_view method, const grpc::Status& backend) {
  const char* plain = nullptr;
  switch (backend.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      plain = "is unavailable; retry later";
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      plain = "did not answer in time";
      break;
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
      plain = "could not complete the call";
      break;
    default:
      return backend;
  }
  const std::string service = PackageOf(method);
  env.logger.Warn("backend call failed", {{"method", std::string(method)},
                                          {"code", GrpcCodeName(backend.error_code())},
                                          {"error", backend.error_message()}});
  return grpc::Status(backend.error_code(),
                      absl::StrCat("the ", service.empty() ? "" : service + " ", "service ", plain));
}

Forwarder::Forwarder(const ForwardingEnv& env, int threads, grpc::ServerBuilder& builder) : env_(env) {
  builder.RegisterAsyncGenericService(&service_);
  for (int i = 0; i < std::max(threads, 1); ++i) queues_.push_back(builder.AddCompletionQueue());
}

Forwarder::~Forwarder() { Stop(); }

void Forwarder::Start() {
  for (auto& queue : queues_) {
    for (int i = 0; i < kAwaitedPerQueue; ++i) new QueuedCall(*this, queue.get());
    threads_.emplace_back([queue = queue.get()] {
      void* tag = nullptr;
      bool ok = false;
      while (queue->Next(&tag, &ok)) static_cast<QueuedCall::Step*>(tag)->Run(ok);
    });
  }
}

void Forwarder::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopping_ = true;
    // The server has shut down: awaited calls come back unmatched and calls in hand were cancelled, so each
    // ends once its operations are back (an admission still out comes back from its worker).
    if (!threads_.empty())
      mu_.Await(absl::Condition(
          +[](int* calls) { return *calls == 0; }, &calls_));
    stopped_ = true;
  }
  for (auto& queue : queues_) queue->Shutdown();
  for (std::thread& thread : threads_) thread.join();
  // Drain what the shut queues still hold (nothing is left in hand), as gRPC requires before destruction.
  for (auto& queue : queues_) {
    void* tag = nullptr;
    bool ok = false;
    while (queue->Next(&tag, &ok)) {
    }
  }
}

void Forwarder::CallBegins() {
  absl::MutexLock lock(&mu_);
  ++calls_;
}

void Forwarder::CallEnds() {
  absl::MutexLock lock(&mu_);
  --calls_;
}

bool Forwarder::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

}  // namespace shouhu::gateway
