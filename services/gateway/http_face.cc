#include "services/gateway/http_face.h"

#include <civetweb.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "shouhu/common/v1/errors.pb.h"

namespace shouhu::gateway {
namespace {

namespace pb = google::protobuf;

const char* Reason(int http) {
  switch (http) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 499:
      return "Client Closed Request";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Internal Server Error";
  }
}

nlohmann::json ErrorJson(const grpc::Status& status) {
  nlohmann::json error = {{"code", static_cast<int>(status.error_code())},
                          {"status", GrpcCodeName(status.error_code())},
                          {"message", status.error_message()}};
  common::v1::ErrorDetail detail;
  if (!status.error_details().empty() && detail.ParseFromString(status.error_details()) &&
      detail.field_violations_size() > 0) {
    error["field"] = detail.field_violations(0).field();
  }
  return error;
}

void SendJson(mg_connection* connection, int http, const std::string& body, const std::string& request_id) {
  // One write for head and body: two small writes meet the peer's delayed ACK and cost 40 ms.
  const std::string response =
      absl::StrCat("HTTP/1.1 ", http, " ", Reason(http),
                   "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
                   "\r\nX-Request-Id: ", request_id, "\r\n\r\n", body);
  mg_write(connection, response.data(), response.size());
}

void SendError(mg_connection* connection, const grpc::Status& status, const std::string& request_id,
               int http = 0) {
  SendJson(connection, http != 0 ? http : HttpStatusOf(status.error_code()), ErrorJson(status).dump() + "\n",
           request_id);
}

// The first JSON member that names no field of `descriptor`, as a path ("child.nmae"), or empty. Used only to
// name the field when protobuf's parser has rejected a body.
std::string UnknownField(const nlohmann::json& json, const pb::Descriptor* descriptor,
                         const std::string& prefix) {
  if (!json.is_object() || absl::StartsWith(descriptor->full_name(), "google.protobuf.")) return "";
  for (const auto& [key, value] : json.items()) {
    const pb::FieldDescriptor* field = descriptor->FindFieldByName(key);
    if (field == nullptr) {
      for (int i = 0; i < descriptor->field_count() && field == nullptr; ++i) {
        if (descriptor->field(i)->json_name() == key) field = descriptor->field(i);
      }
    }
    const std::string path = prefix.empty() ? key : absl::StrCat(prefix, ".", key);
    if (field == nullptr) return path;
    if (field->type() != pb::FieldDescriptor::TYPE_MESSAGE || field->is_map()) continue;
    if (field->is_repeated() && value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i) {
        std::string inner = UnknownField(value[i], field->message_type(), absl::StrCat(path, "[", i, "]"));
        if (!inner.empty()) return inner;
      }
    } else {
      std::string inner = UnknownField(value, field->message_type(), path);
      if (!inner.empty()) return inner;
    }
  }
  return "";
}

// One backend call made for an HTTP request; the civetweb thread pulls responses one at a time.
class BackendCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  void Start(grpc::GenericStub& stub, const std::string& method, grpc::ByteBuffer request) {
    request_ = std::move(request);
    stub.PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(), this);
    AddHold();
    StartWriteLast(&request_, grpc::WriteOptions());
    StartCall();
  }

  // The next response, or false when there are no more.
  bool Next(grpc::ByteBuffer& out) {
    {
      absl::MutexLock lock(&mu_);
      if (ended_) return false;
      has_message_ = false;
      reading_ = true;
    }
    StartRead(&response_);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](BackendCall* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) { return !self->reading_; }, this));
    if (!has_message_) return false;
    out = std::move(response_);
    return true;
  }

  // Waits for the call to end; stops reading first if the caller did not read to the end.
  grpc::Status Finish() {
    grpc::ByteBuffer ignored;
    while (Next(ignored)) {
    }
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
    return status_;
  }

  void Cancel() { context_.TryCancel(); }
  grpc::ClientContext& context() { return context_; }

  void OnReadDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      has_message_ = ok;
      if (!ok) ended_ = true;
      reading_ = false;
    }
    if (!ok) RemoveHold();
  }
  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
  }

 private:
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  absl::Mutex mu_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool has_message_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

std::string Header(mg_connection* connection, const char* name) {
  const char* value = mg_get_header(connection, name);
  return value == nullptr ? "" : value;
}

}  // namespace

int HttpStatusOf(int grpc_code) {
  switch (grpc_code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:
      return 500;
  }
}

absl::StatusOr<std::unique_ptr<HttpFace>> HttpFace::Start(const HttpFaceOptions& options,
                                                          const ForwardingEnv& env) {
  mg_init_library(0);
  std::unique_ptr<HttpFace> face(new HttpFace(options, env));
  const std::string threads = absl::StrCat(options.threads);
  const char* mg_options[] = {"listening_ports",
                              options.address.c_str(),
                              "num_threads",
                              threads.c_str(),
                              "enable_keep_alive",
                              "yes",
                              "request_timeout_ms",
                              "60000",
                              "tcp_nodelay",
                              "1",
                              nullptr};
  mg_callbacks callbacks = {};
  face->context_ = mg_start(&callbacks, nullptr, mg_options);
  if (face->context_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot serve HTTP on ", options.address));
  }
  mg_set_request_handler(face->context_, "/", &HttpFace::Handle, face.get());
  mg_server_port ports[4] = {};
  if (mg_get_server_ports(face->context_, 4, ports) > 0) face->port_ = ports[0].port;
  return face;
}

HttpFace::~HttpFace() {
  if (context_ != nullptr) mg_stop(context_);
}

int HttpFace::Handle(mg_connection* connection, void* self) {
  static_cast<HttpFace*>(self)->Serve(connection);
  return 1;
}

void HttpFace::Serve(mg_connection* connection) {
  const absl::Time started = absl::Now();
  const mg_request_info* info = mg_get_request_info(connection);
  const std::string request_id = RequestIdOr(env_.ids, Header(connection, "X-Request-Id"));
  absl::string_view path = info->local_uri != nullptr ? info->local_uri : "";
  if (!absl::ConsumePrefix(&path, "/v1/") || path.find('/') == absl::string_view::npos) {
    SendError(connection,
              grpc::Status(grpc::StatusCode::NOT_FOUND, "expected POST /v1/<package>.<Service>/<Method>"),
              request_id);
    return;
  }
  if (std::string(info->request_method) != "POST") {
    SendError(connection, grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "only POST is served"), request_id,
              405);
    return;
  }
  const std::string grpc_method = absl::StrCat("/", path);
  std::string full_name(path);
  full_name[full_name.find('/')] = '.';
  const pb::MethodDescriptor* method = pb::DescriptorPool::generated_pool()->FindMethodByName(full_name);
  if (method == nullptr || method->client_streaming()) {
    SendError(connection,
              grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                           method == nullptr ? "no such method" : "client-streaming methods are gRPC only"),
              request_id);
    return;
  }

  // The body, bounded before it is read.
  if (info->content_length > static_cast<long long>(options_.max_body_bytes)) {
    SendError(connection, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request body too large"),
              request_id, 413);
    return;
  }
  std::string body;
  char chunk[16384];
  for (;;) {
    const int n = mg_read(connection, chunk, sizeof chunk);
    if (n <= 0) break;
    body.append(chunk, static_cast<size_t>(n));
    if (body.size() > options_.max_body_bytes) {
      SendError(connection, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request body too large"),
                request_id, 413);
      return;
    }
  }

  // Admission, as for gRPC.
  absl::Notification admitted;
  absl::StatusOr<Principal> principal;
  env_.admission.Admit(grpc_method, Header(connection, "Authorization"),
                       [&](absl::StatusOr<Principal> result) {
                         principal = std::move(result);
                         admitted.Notify();
                       });
  admitted.WaitForNotification();
  auto finish = [&](const grpc::Status& status) {
    RecordCall(env_, grpc_method, principal.ok() ? &*principal : nullptr, request_id, "http",
               status.error_code(), started);
  };
  if (!principal.ok()) {
    const grpc::Status status = ToGrpcStatus(principal.status());
    SendError(connection, status, request_id);
    finish(status);
    return;
  }

  // proto3 JSON → the request message.
  std::unique_ptr<pb::Message> request(
      pb::MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
  pb::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = false;
  const std::string json = body.find_first_not_of(" \t\r\n") == std::string::npos ? "{}" : body;
  if (const auto parsed = pb::util::JsonStringToMessage(json, request.get(), parse_options); !parsed.ok()) {
    const nlohmann::json tree = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    absl::Status bad;
    if (tree.is_discarded()) {
      bad = InvalidField("body", "is not valid JSON");
    } else if (std::string field = UnknownField(tree, method->input_type(), ""); !field.empty()) {
      bad = InvalidField(field, "is not a field of this request");
    } else {
      bad = InvalidField("body",
                         absl::StrCat("does not match the request message: ", std::string(parsed.message())));
    }
    const grpc::Status status = ToGrpcStatus(bad);
    SendError(connection, status, request_id);
    finish(status);
    return;
  }

  grpc::GenericStub* stub = env_.backends.Route(grpc_method);
  if (stub == nullptr) {
    const grpc::Status status(grpc::StatusCode::UNIMPLEMENTED,
                              "no service behind the gateway serves this method");
    SendError(connection, status, request_id);
    finish(status);
    return;
  }
  std::string serialized;
  request->SerializeToString(&serialized);
  grpc::Slice slice(serialized);
  BackendCall call;
  auto deadline = std::chrono::system_clock::time_point::max();
  int64_t timeout_ms = 0;
  if (absl::SimpleAtoi(Header(connection, "X-Timeout-Ms"), &timeout_ms) && timeout_ms > 0) {
    deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  PrepareBackendCall(env_, *principal, request_id, deadline, call.context());
  call.Start(*stub, grpc_method, grpc::ByteBuffer(&slice, 1));

  std::unique_ptr<pb::Message> response(
      pb::MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
  auto to_json = [&](const grpc::ByteBuffer& buffer, std::string& out) {
    grpc::Slice whole;
    response->Clear();
    if (!buffer.DumpToSingleSlice(&whole).ok() ||
        !response->ParseFromArray(whole.begin(), static_cast<int>(whole.size()))) {
      return false;
    }
    return pb::util::MessageToJsonString(*response, &out).ok();
  };

  grpc::ByteBuffer buffer;
  if (!method->server_streaming()) {
    const bool got = call.Next(buffer);
    grpc::Status status = call.Finish();
    std::string out;
    if (status.ok() && (!got || !to_json(buffer, out))) {
      status = grpc::Status(grpc::StatusCode::INTERNAL, "the service's answer could not be rendered as JSON");
    }
    if (status.ok()) {
      SendJson(connection, 200, out + "\n", request_id);
    } else {
      SendError(connection, status, request_id);
    }
    finish(status);
    return;
  }

  // Server streaming: newline-delimited JSON, chunked, written as the service sends.
  mg_printf(
      connection,
      "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nX-Request-Id: "
      "%s\r\n\r\n",
      request_id.c_str());
  bool writable = true;
  while (writable && call.Next(buffer)) {
    std::string line;
    if (!to_json(buffer, line)) {
      call.Cancel();
      break;
    }
    line += "\n";
    writable = mg_send_chunk(connection, line.data(), static_cast<unsigned int>(line.size())) > 0;
    if (!writable) call.Cancel();
  }
  const grpc::Status status = call.Finish();
  if (writable) {
    if (!status.ok()) {
      const std::string line = nlohmann::json{{"error", ErrorJson(status)}}.dump() + "\n";
      mg_send_chunk(connection, line.data(), static_cast<unsigned int>(line.size()));
    }
    mg_send_chunk(connection, "", 0);
  }
  finish(status);
}

}  // namespace shouhu::gateway
