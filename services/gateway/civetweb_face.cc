#include "services/gateway/civetweb_face.h"

#include <civetweb.h>

#include <deque>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace shouhu::gateway {
namespace {

// The civetweb thread writes what the JSON call sends, in order, until the last piece.
class BlockingExchange final : public HttpExchange {
 public:
  void Send(std::string bytes, bool last, std::function<void(bool)> written) override {
    absl::MutexLock lock(&mu_);
    queue_.push_back({std::move(bytes), last, std::move(written)});
  }

  void WriteAll(mg_connection* connection) {
    for (;;) {
      Piece piece;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](std::deque<Piece>* queue) { return !queue->empty(); }, &queue_));
        piece = std::move(queue_.front());
        queue_.pop_front();
      }
      const bool ok = mg_write(connection, piece.bytes.data(), piece.bytes.size()) > 0;
      if (piece.written) piece.written(ok);
      if (piece.last) return;
    }
  }

 private:
  struct Piece {
    std::string bytes;
    bool last = false;
    std::function<void(bool)> written;
  };
  absl::Mutex mu_;
  std::deque<Piece> queue_ ABSL_GUARDED_BY(mu_);
};

std::string Header(mg_connection* connection, const char* name) {
  const char* value = mg_get_header(connection, name);
  return value == nullptr ? "" : value;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CivetwebFace>> CivetwebFace::Start(const std::string& address, int threads,
                                                                  size_t max_body_bytes,
                                                                  const ForwardingEnv& env) {
  mg_init_library(0);
  std::unique_ptr<CivetwebFace> face(new CivetwebFace(max_body_bytes, env));
  const std::string thread_count = absl::StrCat(threads);
  const char* options[] = {"listening_ports",
                           address.c_str(),
                           "num_threads",
                           thread_count.c_str(),
                           "enable_keep_alive",
                           "yes",
                           "request_timeout_ms",
                           "60000",
                           "tcp_nodelay",
                           "1",
                           nullptr};
  mg_callbacks callbacks = {};
  face->context_ = mg_start(&callbacks, nullptr, options);
  if (face->context_ == nullptr)
    return absl::UnavailableError(absl::StrCat("cannot serve HTTP on ", address));
  mg_set_request_handler(face->context_, "/", &CivetwebFace::Handle, face.get());
  mg_server_port ports[4] = {};
  if (mg_get_server_ports(face->context_, 4, ports) > 0) face->port_ = ports[0].port;
  return face;
}

CivetwebFace::~CivetwebFace() {
  if (context_ != nullptr) mg_stop(context_);
}

int CivetwebFace::Handle(mg_connection* connection, void* self) {
  static_cast<CivetwebFace*>(self)->Serve(connection);
  return 1;
}

void CivetwebFace::Serve(mg_connection* connection) {
  const mg_request_info* info = mg_get_request_info(connection);
  auto exchange = std::make_shared<BlockingExchange>();
  JsonRequest request;
  request.http_method = info->request_method;
  request.target = info->local_uri != nullptr ? info->local_uri : "";
  request.authorization = Header(connection, "Authorization");
  request.request_id = Header(connection, "X-Request-Id");
  request.timeout_ms = Header(connection, "X-Timeout-Ms");
  if (info->content_length > static_cast<long long>(max_body_bytes_)) {
    exchange->Send(
        JsonErrorResponse(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request body too large"),
                          request.request_id, true, 413),
        true, nullptr);
  } else {
    char chunk[16384];
    for (int n; (n = mg_read(connection, chunk, sizeof chunk)) > 0;) request.body.append(chunk, n);
    calls_.Start(std::move(request), exchange);
  }
  exchange->WriteAll(connection);
}

}  // namespace shouhu::gateway
