#include "services/gateway/forwarding.h"

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>

#include <atomic>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
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

// The method as the audit column and the metrics' label hold it. A gRPC method is the caller's :path, bytes
// that neither HTTP/2 nor gRPC checks: one that was not UTF-8 made MariaDB refuse its audit row (error 1366,
// the column is utf8mb4), and with it the batch of other callers' rows written alongside, which were retried
// and dropped. Bytes outside printable ASCII, quotes and backslashes are written as C escapes ("\xff");
// every method a proto declares is printable ASCII without them, and stays as it is. Cut at the column's
// width between escapes, never inside one (a lone backslash before the label's closing quote would break the
// whole metrics page).
std::string RecordedMethod(absl::string_view method) {
  constexpr size_t kMethodChars = 255;
  std::string recorded;
  recorded.reserve(std::min(method.size(), kMethodChars));
  for (const char c : method) {
    const std::string escaped = absl::CHexEscape(absl::string_view(&c, 1));
    if (recorded.size() + escaped.size() > kMethodChars) break;
    recorded += escaped;
  }
  return recorded;
}

}  // namespace

void RecordCall(const ForwardingEnv& env, const std::string& sent_method, const Caller& caller,
                const std::string& request_id, absl::string_view address, const char* face, int grpc_code,
                absl::Time started) {
  const absl::Duration latency = absl::Now() - started;
  const std::string method = RecordedMethod(sent_method);
  // A method no linked proto declares is whatever the caller sent, answered before any credentials: counted
  // under one label, or each new path would add series to the metrics (and to every scrape's page) for good.
  env.metrics.ObserveCall(MethodOf(sent_method) != nullptr ? method : "unserved", grpc_code, latency);
  AuditRecord row;
  row.audit_id = env.ids.Next();
  row.occurred_at = started;
  row.request_id = Clipped(request_id, 128);
  row.subject = Clipped(caller.subject, 128);
  row.organisation_id = Clipped(caller.organisation_id, 64);
  row.subject_claimed = caller.claimed;
  row.turned_away = caller.turned_away;
  row.method = method;
  row.face = face;
  row.grpc_code = grpc_code;
  row.latency_us = absl::ToInt64Microseconds(latency);
  row.peer = std::string(address);
  env.audit.Record(std::move(row));
}

namespace {

// The first value the caller sent under `key`, or empty.
absl::string_view MetadataValue(const grpc::ServerContextBase& context, absl::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  return it == metadata.end() ? absl::string_view() : absl::string_view(it->second.data(), it->second.size());
}

// Where the call came from: its peer, or the caller its proxy names (caller_address.h).
std::string AddressOf(const ForwardingEnv& env, const grpc::ServerContextBase& context) {
  return env.proxies.Resolve(context.peer(), MetadataValue(context, "x-real-ip"),
                             MetadataValue(context, "x-forwarded-for"));
}

// One call relayed to one backend. Owned by itself: deleted when both the caller's side and (if it was
// started) the backend's side are done.
class ForwardedCall final : public grpc::ServerGenericBidiReactor {
 public:
  ForwardedCall(const ForwardingEnv& env, grpc::GenericStub& backend,
                grpc::GenericCallbackServerContext* context)
      : env_(env),
        backend_(backend),
        context_(context),
        method_(context->method()),
        address_(AddressOf(env, *context)),
        started_(absl::Now()),
        leg_(this) {
    request_id_ = RequestIdOr(env.ids, MetadataValue(*context, kRequestIdMetadata));
    const absl::string_view authorization = MetadataValue(*context, "authorization");
    env.admission.Admit(method_, authorization,
                        [this](Admitted admitted) { OnAdmitted(std::move(admitted)); });
  }

  // The caller's side. Requests: the caller's next message goes to the backend, then the next is read.
  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (requests_closed_) return;  // the backend has answered already
    if (ok) {
      leg_.StartWrite(&request_);
    } else {
      leg_.StartWritesDone();
    }
    reading_caller_ = false;
  }
  void OnWriteDone(bool ok) override {
    if (ok) {
      leg_.StartRead(&response_);
      return;
    }
    backend_context_.TryCancel();  // the caller has gone
    leg_.RemoveHold();
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (backend_started_) backend_context_.TryCancel();
  }
  void OnDone() override {
    RecordCall(env_, method_, caller_, request_id_, address_, "grpc", final_code_, started_);
    Unref();
  }

 private:
  // The backend's side.
  class Leg final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    explicit Leg(ForwardedCall* call) : call_(call) {}
    void OnReadDone(bool ok) override {
      if (ok) {
        call_->StartWrite(&call_->response_);
        return;
      }
      {
        // No more responses: a caller's message still awaited will not be sent on.
        absl::MutexLock lock(&call_->mu_);
        call_->responses_done_ = true;
        if (call_->reading_caller_) call_->CloseRequests();
      }
      RemoveHold();
    }
    void OnWriteDone(bool ok) override {
      absl::MutexLock lock(&call_->mu_);
      if (ok && !call_->responses_done_) {
        call_->reading_caller_ = true;
        call_->StartRead(&call_->request_);
      } else {
        call_->CloseRequests();
      }
    }
    void OnWritesDoneDone(bool) override {
      absl::MutexLock lock(&call_->mu_);
      call_->CloseRequests();
    }
    void OnDone(const grpc::Status& status) override {
      // The leg's reference goes first: it cannot be the last, since the caller's side holds its own until
      // its OnDone, which only follows Finish. So the call (its ClientContext with it) is deleted by that
      // OnDone, which Server::Wait waits for, never here after Wait has returned and the gateway is being
      // torn down.
      ForwardedCall* const call = call_;
      grpc::Status facing = CallerFacing(call->env_, call->method_, status);
      call->Unref();
      call->FinishWith(facing);  // the last use of this leg: the caller's OnDone may delete both at once
    }

   private:
    ForwardedCall* const call_;
  };

  void OnAdmitted(Admitted admitted) {
    caller_ = std::move(admitted.caller);
    if (!admitted.principal.ok()) {
      FinishWith(ToGrpcStatus(admitted.principal.status()));
      return;
    }
    principal_ = *std::move(admitted.principal);
    PrepareBackendCall(env_, principal_, request_id_, context_->deadline(), backend_context_);
    bool cancelled;
    {
      absl::MutexLock lock(&mu_);
      cancelled = cancelled_;
      if (!cancelled) {
        backend_started_ = true;
        refs_.fetch_add(1);
      }
    }
    if (cancelled) {
      FinishWith(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
      return;
    }
    backend_.PrepareBidiStreamingCall(&backend_context_, method_, grpc::StubOptions(), &leg_);
    // Two holds keep the backend call open until both directions are through: one released when the backend
    // has no more responses (so Finish follows the last write to the caller), one when no more requests will
    // be sent to it (so no operation is started on a finished call).
    leg_.AddMultipleHolds(2);
    leg_.StartRead(&response_);
    leg_.StartCall();
    absl::MutexLock lock(&mu_);
    reading_caller_ = true;
    StartRead(&request_);
  }

  // Releases the requests' hold once; afterwards nothing more is sent to the backend.
  void CloseRequests() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (requests_closed_) return;
    requests_closed_ = true;
    leg_.RemoveHold();
  }

  void FinishWith(const grpc::Status& status) {
    final_code_ = status.error_code();
    Finish(status);
  }

  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  const ForwardingEnv& env_;
  grpc::GenericStub& backend_;
  grpc::GenericCallbackServerContext* const context_;
  const std::string method_;
  const std::string address_;  // the caller's
  const absl::Time started_;
  std::string request_id_;
  Principal principal_;
  Caller caller_;
  int final_code_ = grpc::StatusCode::UNKNOWN;
  grpc::ClientContext backend_context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  Leg leg_;
  std::atomic<int> refs_{1};
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool backend_started_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_caller_ ABSL_GUARDED_BY(mu_) = false;   // a read of the caller's next message is pending
  bool responses_done_ ABSL_GUARDED_BY(mu_) = false;   // the backend sent its last response
  bool requests_closed_ ABSL_GUARDED_BY(mu_) = false;  // the requests' hold is released
};

// A unary call relayed with a unary backend call: one batch each way on both legs instead of the streaming
// relay's message-by-message steps, which is most of the gateway's cost per call. Deletes itself when done.
class ForwardedUnaryCall final : public grpc::ServerGenericBidiReactor {
 public:
  ForwardedUnaryCall(const ForwardingEnv& env, grpc::GenericStub& backend,
                     grpc::GenericCallbackServerContext* context)
      : env_(env),
        backend_(backend),
        context_(context),
        method_(context->method()),
        address_(AddressOf(env, *context)),
        started_(absl::Now()) {
    request_id_ = RequestIdOr(env.ids, MetadataValue(*context, kRequestIdMetadata));
    const absl::string_view authorization = MetadataValue(*context, "authorization");
    // The request and the admission arrive in either order; the backend call starts when both are in.
    StartRead(&request_);
    env.admission.Admit(method_, authorization, [this](Admitted admitted) {
      principal_ = std::move(admitted.principal);
      caller_ = std::move(admitted.caller);
      Arrive();
    });
  }

  void OnReadDone(bool ok) override {
    has_request_ = ok;
    Arrive();
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (backend_started_) backend_context_.TryCancel();
  }
  void OnDone() override {
    RecordCall(env_, method_, caller_, request_id_, address_, "grpc", final_code_, started_);
    delete this;
  }

 private:
  void Arrive() {
    if (waiting_for_.fetch_sub(1) == 1) Forward();
  }

  void Forward() {
    if (!principal_.ok()) return FinishWith(ToGrpcStatus(principal_.status()));
    if (!has_request_) return FinishWith(grpc::Status(grpc::StatusCode::CANCELLED, "no request arrived"));
    PrepareBackendCall(env_, *principal_, request_id_, context_->deadline(), backend_context_);
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return FinishWith(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
      backend_started_ = true;
    }
    backend_.UnaryCall(&backend_context_, method_, grpc::StubOptions(), &request_, &response_,
                       [this](grpc::Status status) {
                         final_code_ = status.error_code();
                         if (status.ok()) {
                           StartWriteAndFinish(&response_, grpc::WriteOptions(), status);
                         } else {
                           Finish(CallerFacing(env_, method_, status));
                         }
                       });
  }

  void FinishWith(const grpc::Status& status) {
    final_code_ = status.error_code();
    Finish(status);
  }

  const ForwardingEnv& env_;
  grpc::GenericStub& backend_;
  grpc::GenericCallbackServerContext* const context_;
  const std::string method_;
  const std::string address_;  // the caller's
  const absl::Time started_;
  std::string request_id_;
  absl::StatusOr<Principal> principal_;
  Caller caller_;
  bool has_request_ = false;
  std::atomic<int> waiting_for_{2};  // the request and the admission
  int final_code_ = grpc::StatusCode::UNKNOWN;
  grpc::ClientContext backend_context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool backend_started_ ABSL_GUARDED_BY(mu_) = false;
};

// A method no service behind the gateway serves (grpc.reflection.v1, say, or a method no linked proto
// declares): UNIMPLEMENTED before any credentials are asked for, as any gRPC server answers an unknown
// method, so that clients such as buf curl fall back to what is served (reflection v1alpha) instead of
// stopping at UNAUTHENTICATED, and a caller with credentials hears the same (not PERMISSION_DENIED).
class UnservedCall final : public grpc::ServerGenericBidiReactor {
 public:
  UnservedCall(const ForwardingEnv& env, grpc::GenericCallbackServerContext* context)
      : env_(env), method_(context->method()), address_(AddressOf(env, *context)), started_(absl::Now()) {
    request_id_ = RequestIdOr(env.ids, MetadataValue(*context, kRequestIdMetadata));
    Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no service behind the gateway serves this method"));
  }
  void OnDone() override {
    RecordCall(env_, method_, Caller{}, request_id_, address_, "grpc", grpc::StatusCode::UNIMPLEMENTED,
               started_);
    delete this;
  }

 private:
  const ForwardingEnv& env_;
  const std::string method_;
  const std::string address_;  // the caller's
  const absl::Time started_;
  std::string request_id_;
};

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

grpc::ServerGenericBidiReactor* Forwarder::CreateReactor(grpc::GenericCallbackServerContext* context) {
  grpc::GenericStub* backend = env_.backends.Route(context->method());
  const google::protobuf::MethodDescriptor* method = MethodOf(context->method());
  if (backend == nullptr || method == nullptr) return new UnservedCall(env_, context);
  if (!method->client_streaming() && !method->server_streaming()) {
    return new ForwardedUnaryCall(env_, *backend, context);
  }
  return new ForwardedCall(env_, *backend, context);
}

}  // namespace shouhu::gateway
