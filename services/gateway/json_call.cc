#include "services/gateway/json_call.h"

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

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

// A field path as the services name it ("household.village_code", "guardians[1].status") in the JSON names
// the caller writes ("household.villageCode"), following `input` (the method's request message) segment by
// segment. A segment the descriptor does not know is kept as it is, and so is everything after it.
std::string JsonFieldPath(const pb::Descriptor* input, absl::string_view path) {
  std::vector<std::string> out;
  const pb::Descriptor* message = input;
  for (absl::string_view segment : absl::StrSplit(path, '.')) {
    const size_t bracket = std::min(segment.find('['), segment.size());
    const std::string name(segment.substr(0, bracket));
    const pb::FieldDescriptor* field = nullptr;
    if (message != nullptr) {
      field = message->FindFieldByName(name);
      if (field == nullptr) {
        for (int i = 0; i < message->field_count() && field == nullptr; ++i) {
          if (message->field(i)->json_name() == name) field = message->field(i);
        }
      }
    }
    if (field == nullptr) {
      out.emplace_back(segment);
      message = nullptr;
      continue;
    }
    out.push_back(absl::StrCat(field->json_name(), segment.substr(bracket)));
    message = field->type() == pb::FieldDescriptor::TYPE_MESSAGE && !field->is_map() ? field->message_type()
                                                                                     : nullptr;
  }
  return absl::StrJoin(out, ".");
}

// {"code": 3, "status": "INVALID_ARGUMENT", "message": "…", "field": "pageSize"}; `input` (may be null) names
// the field in JSON.
nlohmann::json ErrorJson(const grpc::Status& status, const pb::Descriptor* input) {
  nlohmann::json error = {{"code", static_cast<int>(status.error_code())},
                          {"status", GrpcCodeName(status.error_code())},
                          {"message", status.error_message()}};
  if (std::string field = FieldOfGrpcStatus(status); !field.empty()) {
    std::string json_field = JsonFieldPath(input, field);
    // InvalidField's messages begin with the field; the caller reads it in JSON too.
    if (absl::StartsWith(status.error_message(), field + ": ")) {
      error["message"] = absl::StrCat(json_field, status.error_message().substr(field.size()));
    }
    error["field"] = std::move(json_field);
  }
  return error;
}

std::string Head(int http, const char* content_type, const std::string& request_id, bool keep_alive) {
  return absl::StrCat("HTTP/1.1 ", http, " ", Reason(http), "\r\nContent-Type: ", content_type,
                      "\r\nX-Request-Id: ", request_id, keep_alive ? "" : "\r\nConnection: close", "\r\n");
}

// Head and body in one piece: two small writes meet the peer's delayed ACK and cost 40 ms.
std::string WholeResponse(int http, const std::string& body, const std::string& request_id, bool keep_alive) {
  return absl::StrCat(Head(http, "application/json", request_id, keep_alive), "Content-Length: ", body.size(),
                      "\r\n\r\n", body);
}

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

// Whether protobuf's parser takes `json` as a `descriptor` message.
bool Parses(const pb::Descriptor* descriptor, const std::string& json) {
  std::unique_ptr<pb::Message> message(
      pb::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  return pb::util::JsonStringToMessage(json, message.get(), options).ok();
}

// The JSON path ("household.villageCode", "guardians[1].status") of the first member of `json` that
// protobuf's parser rejects, narrowed to the innermost field it can name; empty when no one member is to
// blame. Only called once a body has been rejected, so the extra parses cost nothing on the good path.
std::string RejectedField(const nlohmann::json& json, const pb::Descriptor* descriptor,
                          const std::string& prefix) {
  if (!json.is_object()) return "";
  for (const auto& [key, value] : json.items()) {
    const pb::FieldDescriptor* field = descriptor->FindFieldByName(key);
    for (int i = 0; i < descriptor->field_count() && field == nullptr; ++i) {
      if (descriptor->field(i)->json_name() == key) field = descriptor->field(i);
    }
    const std::string path =
        absl::StrCat(prefix, prefix.empty() ? "" : ".", field != nullptr ? field->json_name() : key);
    if (field == nullptr) return path;
    if (Parses(descriptor, nlohmann::json{{key, value}}.dump())) continue;
    const bool nested = field->type() == pb::FieldDescriptor::TYPE_MESSAGE && !field->is_map() &&
                        !absl::StartsWith(field->message_type()->full_name(), "google.protobuf.");
    if (nested && field->is_repeated() && value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string element = absl::StrCat(path, "[", i, "]");
        if (Parses(field->message_type(), value[i].dump())) continue;
        std::string inner = RejectedField(value[i], field->message_type(), element);
        return inner.empty() ? element : inner;
      }
    } else if (nested && !field->is_repeated()) {
      std::string inner = RejectedField(value, field->message_type(), path);
      if (!inner.empty()) return inner;
    }
    return path;
  }
  return "";
}

// The request message from its proto3 JSON; a rejected body names the offending field (by its JSON name)
// where one member is to blame.
absl::StatusOr<std::string> SerializedRequest(const pb::MethodDescriptor& method, const std::string& body) {
  std::unique_ptr<pb::Message> request(
      pb::MessageFactory::generated_factory()->GetPrototype(method.input_type())->New());
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const std::string json = body.find_first_not_of(" \t\r\n") == std::string::npos ? "{}" : body;
  if (const auto parsed = pb::util::JsonStringToMessage(json, request.get(), options); !parsed.ok()) {
    const nlohmann::json tree = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (tree.is_discarded()) return absl::InvalidArgumentError("the request body is not valid JSON");
    if (!tree.is_object()) {
      return absl::InvalidArgumentError("the request body must be a JSON object (the request message)");
    }
    if (std::string field = RejectedField(tree, method.input_type(), ""); !field.empty()) {
      return InvalidField(field, "is not a field of this request or does not hold a value of its type");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("the request body does not match the request message: ", std::string(parsed.message())));
  }
  return request->SerializeAsString();
}

}  // namespace

// One JSON call, from the parsed request to the last byte of its answer. Owned by itself: it ends (and
// deletes itself) after the answer has been handed to the exchange, through End.
class JsonCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  JsonCall(JsonCalls& calls, JsonRequest request, std::shared_ptr<HttpExchange> exchange)
      : alive_(calls),
        calls_(calls),
        env_(calls.env_),
        request_(std::move(request)),
        exchange_(std::move(exchange)),
        started_(absl::Now()),
        request_id_(RequestIdOr(env_.ids, request_.request_id)) {}

  void Begin() {
    absl::string_view path = request_.target;
    if (const size_t query = path.find('?'); query != absl::string_view::npos) path = path.substr(0, query);
    if (!absl::ConsumePrefix(&path, "/v1/") || path.find('/') == absl::string_view::npos) {
      return Fail(
          grpc::Status(grpc::StatusCode::NOT_FOUND, "expected POST /v1/<package>.<Service>/<Method>"));
    }
    if (request_.http_method != "POST") {
      return Fail(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "only POST is served"), 405);
    }
    grpc_method_ = absl::StrCat("/", path);
    std::string full_name(path);
    full_name[full_name.find('/')] = '.';
    method_ = pb::DescriptorPool::generated_pool()->FindMethodByName(full_name);
    if (method_ == nullptr || method_->client_streaming()) {
      return Fail(
          grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                       method_ == nullptr ? "no such method" : "client-streaming methods are gRPC only"));
    }
    audited_ = true;
    env_.admission.Admit(grpc_method_, request_.authorization,
                         [this](Admitted admitted) { OnAdmitted(std::move(admitted)); });
  }

  // Called with JsonCalls' lock held, so the call is still alive.
  void CancelBackend() { context_.TryCancel(); }

  // Server streaming only (a unary call is a unary backend call).
  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream is over; OnDone carries the status
    std::string line;
    if (!ToJson(response_, line)) {
      render_failed_ = true;
      context_.TryCancel();
      return;
    }
    // The hold keeps the call (and this object) until the line is written and the next read started.
    AddHold();
    exchange_->Send(Chunk(line + "\n"), false, [this](bool written) {
      if (written) {
        StartRead(&response_);
      } else {
        context_.TryCancel();  // the client has gone
      }
      RemoveHold();
    });
  }

  void OnDone(const grpc::Status& status) override { Complete(status); }

 private:
  // The backend call has ended: answer and end.
  void Complete(const grpc::Status& backend_status) {
    grpc::Status status = CallerFacing(env_, grpc_method_, backend_status);
    if (status.error_code() == grpc::StatusCode::CANCELLED && calls_.CancelledByDrain(this)) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is stopping");
    }
    if (render_failed_) {
      status = grpc::Status(grpc::StatusCode::INTERNAL, "the service's answer could not be rendered as JSON");
    }
    if (!method_->server_streaming()) {
      std::string body;
      if (status.ok() && !ToJson(response_, body)) {
        status =
            grpc::Status(grpc::StatusCode::INTERNAL, "the service's answer could not be rendered as JSON");
      }
      if (status.ok()) {
        exchange_->Send(WholeResponse(200, body + "\n", request_id_, request_.keep_alive), true, nullptr);
        return End(status);
      }
      return Fail(status);
    }
    std::string tail;
    if (!status.ok())
      tail = Chunk(nlohmann::json{{"error", ErrorJson(status, method_->input_type())}}.dump() + "\n");
    exchange_->Send(tail + "0\r\n\r\n", true, nullptr);
    End(status);
  }

  void OnAdmitted(Admitted admitted) {
    caller_ = std::move(admitted.caller);
    if (!admitted.principal.ok()) return Fail(ToGrpcStatus(admitted.principal.status()));
    principal_ = *std::move(admitted.principal);
    absl::StatusOr<std::string> serialized = SerializedRequest(*method_, request_.body);
    if (!serialized.ok()) return Fail(ToGrpcStatus(serialized.status()));
    grpc::GenericStub* stub = env_.backends.Route(grpc_method_);
    if (stub == nullptr) {
      return Fail(
          grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no service behind the gateway serves this method"));
    }
    auto deadline = std::chrono::system_clock::time_point::max();
    int64_t timeout_ms = 0;
    if (absl::SimpleAtoi(request_.timeout_ms, &timeout_ms) && timeout_ms > 0) {
      deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    PrepareBackendCall(env_, *principal_, request_id_, deadline, context_);
    if (!calls_.MayStartBackend(this)) {
      return Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is stopping"));
    }
    grpc::Slice slice(*std::move(serialized));
    request_buffer_ = grpc::ByteBuffer(&slice, 1);
    request_.body.clear();
    if (!method_->server_streaming()) {
      stub->UnaryCall(&context_, grpc_method_, grpc::StubOptions(), &request_buffer_, &response_,
                      [this](grpc::Status status) { Complete(status); });
      return;
    }
    exchange_->Send(absl::StrCat(Head(200, "application/x-ndjson", request_id_, request_.keep_alive),
                                 "Transfer-Encoding: chunked\r\n\r\n"),
                    false, nullptr);
    stub->PrepareBidiStreamingCall(&context_, grpc_method_, grpc::StubOptions(), this);
    StartWriteLast(&request_buffer_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  bool ToJson(const grpc::ByteBuffer& buffer, std::string& out) {
    if (response_message_ == nullptr) {
      response_message_.reset(
          pb::MessageFactory::generated_factory()->GetPrototype(method_->output_type())->New());
    }
    grpc::Slice whole;
    response_message_->Clear();
    // A message with every field at its default may arrive as no bytes at all.
    if (buffer.Valid() &&
        (!buffer.DumpToSingleSlice(&whole).ok() ||
         !response_message_->ParseFromArray(whole.begin(), static_cast<int>(whole.size())))) {
      return false;
    }
    return pb::util::MessageToJsonString(*response_message_, &out).ok();
  }

  // Answers with an error (before or after the backend call) and ends.
  void Fail(const grpc::Status& status, int http = 0) {
    exchange_->Send(JsonErrorResponse(status, request_id_, request_.keep_alive, http,
                                      method_ != nullptr ? method_->input_type() : nullptr),
                    true, nullptr);
    End(status);
  }

  void End(const grpc::Status& status) {
    if (audited_) {
      RecordCall(env_, grpc_method_, caller_, request_id_,
                 env_.proxies.Resolve(request_.peer, request_.x_real_ip, request_.x_forwarded_for), "http",
                 status.error_code(), started_);
    }
    calls_.Remove(this);
    delete this;
  }

  // Declared first, so destroyed last: Drain waits for it, and so for everything the call holds (the
  // connection, the backend call's context) to be gone.
  JsonCalls::Alive alive_;
  JsonCalls& calls_;
  const ForwardingEnv& env_;
  JsonRequest request_;
  const std::shared_ptr<HttpExchange> exchange_;
  const absl::Time started_;
  const std::string request_id_;
  std::string grpc_method_;
  const pb::MethodDescriptor* method_ = nullptr;
  bool audited_ = false;  // a known method: the call gets an audit row
  std::optional<Principal> principal_;
  Caller caller_;  // for the audit row, admitted or not
  grpc::ClientContext context_;
  grpc::ByteBuffer request_buffer_;
  grpc::ByteBuffer response_;
  std::unique_ptr<pb::Message> response_message_;
  bool render_failed_ = false;
};

void JsonCalls::Start(JsonRequest request, std::shared_ptr<HttpExchange> exchange) {
  {
    absl::MutexLock lock(&mu_);
    if (draining_) {
      exchange->Send(JsonErrorResponse(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is stopping"),
                                       RequestIdOr(env_.ids, request.request_id), /*keep_alive=*/false),
                     true, nullptr);
      return;
    }
  }
  auto* call = new JsonCall(*this, std::move(request), std::move(exchange));
  {
    absl::MutexLock lock(&mu_);
    in_flight_.emplace(call, CallState{});
  }
  call->Begin();
}

bool JsonCalls::MayStartBackend(JsonCall* call) {
  absl::MutexLock lock(&mu_);
  CallState& state = in_flight_[call];
  if (state.cancelled) return false;
  state.backend_started = true;
  return true;
}

bool JsonCalls::CancelledByDrain(JsonCall* call) {
  absl::MutexLock lock(&mu_);
  auto it = in_flight_.find(call);
  return it != in_flight_.end() && it->second.cancelled;
}

void JsonCalls::Remove(JsonCall* call) {
  absl::MutexLock lock(&mu_);
  in_flight_.erase(call);
}

JsonCalls::Alive::Alive(JsonCalls& calls) : calls_(calls) {
  absl::MutexLock lock(&calls_.mu_);
  ++calls_.alive_;
}

JsonCalls::Alive::~Alive() {
  absl::MutexLock lock(&calls_.mu_);
  --calls_.alive_;
}

void JsonCalls::Drain(absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  draining_ = true;
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_.empty(); };
  auto gone = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_.empty() && alive_ == 0; };
  mu_.AwaitWithTimeout(absl::Condition(&idle), grace);
  for (auto& [call, state] : in_flight_) {
    state.cancelled = true;
    if (state.backend_started) call->CancelBackend();
  }
  mu_.Await(absl::Condition(&gone));
}

std::string JsonErrorResponse(const grpc::Status& status, const std::string& request_id, bool keep_alive,
                              int http_status, const google::protobuf::Descriptor* input) {
  return WholeResponse(http_status != 0 ? http_status : HttpStatusOf(status.error_code()),
                       ErrorJson(status, input).dump() + "\n", request_id, keep_alive);
}

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

}  // namespace shouhu::gateway
