#include "tests/integration/gateway/slow_answer_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/time/clock.h"

namespace shouhu::testing {
namespace {

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::unique_ptr<SlowAnswerProxy> SlowAnswerProxy::Start(int port, absl::Duration delay) {
  std::unique_ptr<SlowAnswerProxy> proxy(new SlowAnswerProxy());
  proxy->upstream_port_ = port;
  proxy->delay_ = delay;
  proxy->listener_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(proxy->listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(proxy->listener_, 64) != 0 ||
      getsockname(proxy->listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return nullptr;
  }
  proxy->port_ = ntohs(addr.sin_port);
  SlowAnswerProxy* self = proxy.get();
  proxy->acceptor_ = std::thread([self] { self->Accept(); });
  return proxy;
}

SlowAnswerProxy::~SlowAnswerProxy() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  if (listener_ >= 0) close(listener_);
  std::vector<std::thread> relays;
  {
    absl::MutexLock lock(&mu_);
    relays.swap(relays_);
  }
  for (std::thread& relay : relays) relay.join();
}

void SlowAnswerProxy::Accept() {
  while (!stopping_) {
    pollfd p{listener_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const int client = accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    const absl::Time answer_from = absl::Now() + delay_;
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(server);
      close(client);
      continue;
    }
    absl::MutexLock lock(&mu_);
    relays_.emplace_back([this, client, server, answer_from] { Relay(client, server, answer_from); });
  }
}

// Both directions as they come, except that nothing of the backend's reaches the client before
// `answer_from`.
void SlowAnswerProxy::Relay(int client, int server, absl::Time answer_from) {
  char chunk[16384];
  while (!stopping_) {
    const bool answering = absl::Now() >= answer_from;
    pollfd fds[2] = {{client, POLLIN, 0}, {server, static_cast<short>(answering ? POLLIN : 0), 0}};
    if (poll(fds, 2, 20) <= 0) continue;
    if (fds[0].revents != 0) {
      const ssize_t n = read(client, chunk, sizeof chunk);
      if (n <= 0 || !WriteAll(server, chunk, static_cast<size_t>(n))) break;
    }
    if (answering && fds[1].revents != 0) {
      const ssize_t n = read(server, chunk, sizeof chunk);
      if (n <= 0 || !WriteAll(client, chunk, static_cast<size_t>(n))) break;
    }
  }
  close(client);
  close(server);
}

}  // namespace shouhu::testing
