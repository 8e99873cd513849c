#include "services/gateway/http_face.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <deque>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "services/gateway/json_call.h"

namespace shouhu::gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr size_t kMaxHeaderBytes = 16 * 1024;

absl::StatusOr<tcp::endpoint> EndpointOf(absl::string_view address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("http_address: expected host:port, got ", address));
  }
  absl::string_view host = address.substr(0, colon);
  absl::ConsumePrefix(&host, "[");
  absl::ConsumeSuffix(&host, "]");
  beast::error_code ec;
  const net::ip::address ip = net::ip::make_address(std::string(host), ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("http_address: not an IP address: ", host));
  return tcp::endpoint(ip, static_cast<uint16_t>(port));
}

std::string HeaderOf(const http::fields& fields, absl::string_view name) {
  auto it = fields.find(beast::string_view(name.data(), name.size()));
  return it == fields.end() ? "" : std::string(it->value());
}

}  // namespace

struct HttpFace::Server {
  Server(const HttpFaceOptions& options, const ForwardingEnv& env)
      : options(options),
        calls(env),
        io(options.threads),
        acceptor(net::make_strand(io)),
        retry_accept(acceptor.get_executor()) {}

  void Accept();

  const HttpFaceOptions options;
  JsonCalls calls;
  std::atomic<int> connections{0};
  std::atomic<int> unsent{0};  // pieces of answers queued but not yet written
  // Declared after everything connections use: destroying the io_context destroys the connections its
  // pending handlers still own.
  net::io_context io;
  // Keeps the I/O threads running while answers are still to come for connections with nothing pending on
  // the socket (a call at the backend once the acceptor has closed).
  net::executor_work_guard<net::io_context::executor_type> keep_running = net::make_work_guard(io);
  // The acceptor and its retry timer run their handlers on one strand of their own, so that closing them at
  // shutdown never runs beside an accept's completion on another I/O thread.
  tcp::acceptor acceptor;
  net::steady_timer retry_accept;
  std::vector<std::thread> threads;
  bool stopped = false;
};

namespace {

// One client connection: reads a request, hands it to a JSON call, writes what the call sends in order, and
// reads the next request once the answer is out. Every handler runs on the connection's strand.
class Connection final : public HttpExchange, public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, HttpFace::Server& server) : stream_(std::move(socket)), server_(server) {
    server_.connections.fetch_add(1);
    beast::error_code ec;
    const tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string();
  }
  ~Connection() override { server_.connections.fetch_sub(1); }

  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(server_.options.max_body_bytes);
    stream_.expires_after(absl::ToChronoMilliseconds(server_.options.idle_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void Send(std::string bytes, bool last, std::function<void(bool)> written) override {
    server_.unsent.fetch_add(1);
    net::post(stream_.get_executor(), [self = shared_from_this(), bytes = std::move(bytes), last,
                                       written = std::move(written)]() mutable {
      self->outbound_.push_back({std::move(bytes), last, std::move(written)});
      if (!self->writing_) self->WriteNext();
    });
  }

 private:
  struct Outbound {
    std::string bytes;
    bool last;
    std::function<void(bool)> written;
  };

  void OnHeader(beast::error_code ec) {
    // Beast compares a declared Content-Length with the body limit as soon as it has the header.
    if (ec == http::error::body_limit) return TooLarge();
    if (ec) return Close();  // the client closed, timed out or sent no HTTP
    const auto& head = parser_->get();
    // curl and others wait for this before sending a body of more than 1 KiB.
    if (absl::EqualsIgnoreCase(HeaderOf(head, "Expect"), "100-continue")) {
      Send("HTTP/1.1 100 Continue\r\n\r\n", false, nullptr);
    }
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) return TooLarge();
    if (ec) return Close();
    stream_.expires_never();
    auto& message = parser_->get();
    JsonRequest request;
    request.http_method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.authorization = HeaderOf(message, "Authorization");
    request.request_id = HeaderOf(message, "X-Request-Id");
    request.timeout_ms = HeaderOf(message, "X-Timeout-Ms");
    request.keep_alive = message.keep_alive();
    request.body = std::move(message.body());
    request.peer = peer_;
    request.x_real_ip = HeaderOf(message, "X-Real-IP");
    request.x_forwarded_for = HeaderOf(message, "X-Forwarded-For");
    keep_alive_ = request.keep_alive;
    server_.calls.Start(std::move(request), shared_from_this());
  }

  // The body would not fit: answered without reading it, and the connection closed (its bytes are still on
  // the way).
  void TooLarge() {
    keep_alive_ = false;
    Send(JsonErrorResponse(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request body too large"),
                           HeaderOf(parser_->get(), "X-Request-Id"), /*keep_alive=*/false, 413),
         true, nullptr);
  }

  void WriteNext() {
    if (outbound_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    if (broken_) return OnWritten(net::error::broken_pipe);
    stream_.expires_after(absl::ToChronoMilliseconds(server_.options.idle_timeout));
    net::async_write(stream_, net::buffer(outbound_.front().bytes),
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWritten(ec); });
  }

  void OnWritten(beast::error_code ec) {
    Outbound done = std::move(outbound_.front());
    outbound_.pop_front();
    server_.unsent.fetch_sub(1);
    if (ec) broken_ = true;
    if (done.written) done.written(!ec);
    if (done.last) {
      stream_.expires_never();
      if (keep_alive_ && !broken_) {
        ReadRequest();
      } else {
        Close();
      }
    }
    WriteNext();
  }

  // Half-closes and reads until the client closes too: closing outright with its bytes still unread (a body
  // too large) would reset the connection and could lose the answer before the client reads it.
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(5));
    DiscardUntilClosed();
  }

  void DiscardUntilClosed() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(16384),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return;
                              self->buffer_.commit(n);
                              self->DiscardUntilClosed();
                            });
  }

  beast::tcp_stream stream_;
  std::string peer_;  // the client's address
  HttpFace::Server& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<Outbound> outbound_;
  bool writing_ = false;
  bool broken_ = false;  // a write failed: later ones are not tried
  bool keep_alive_ = true;
};

}  // namespace

void HttpFace::Server::Accept() {
  acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;  // shutting down
    if (ec) {
      // Out of descriptors, say: try again shortly rather than spin.
      retry_accept.expires_after(std::chrono::milliseconds(50));
      retry_accept.async_wait([this](beast::error_code wait) {
        if (!wait) Accept();
      });
      return;
    }
    if (connections.load() >= options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Connection>(std::move(socket), *this)->ReadRequest();
    }
    Accept();
  });
}

HttpFace::HttpFace(std::unique_ptr<Server> server) : server_(std::move(server)) {}

absl::StatusOr<std::unique_ptr<HttpFace>> HttpFace::Start(const HttpFaceOptions& options,
                                                          const ForwardingEnv& env) {
  ASSIGN_OR_RETURN(const tcp::endpoint endpoint, EndpointOf(options.address));
  auto server = std::make_unique<Server>(options, env);
  beast::error_code ec;
  server->acceptor.open(endpoint.protocol(), ec);
  if (!ec) server->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) server->acceptor.bind(endpoint, ec);
  if (!ec) server->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot serve HTTP on ", options.address, ": ", ec.message()));
  std::unique_ptr<HttpFace> face(new HttpFace(std::move(server)));
  Server& s = *face->server_;
  face->port_ = s.acceptor.local_endpoint().port();
  s.Accept();
  for (int i = 0; i < options.threads; ++i) s.threads.emplace_back([&s] { s.io.run(); });
  return face;
}

void HttpFace::Shutdown(absl::Duration grace) {
  Server& s = *server_;
  if (s.stopped) return;
  s.stopped = true;
  net::post(s.acceptor.get_executor(), [&s] {
    beast::error_code ignored;
    s.acceptor.close(ignored);
    s.retry_accept.cancel();
  });
  s.calls.Drain(grace);
  // The last answers are handed over but may not be on the wire yet.
  const absl::Time give_up = absl::Now() + absl::Seconds(1);
  while (s.unsent.load() > 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  s.keep_running.reset();
  s.io.stop();
  for (std::thread& thread : s.threads) thread.join();
}

HttpFace::~HttpFace() { Shutdown(absl::ZeroDuration()); }

}  // namespace shouhu::gateway
