#include "tests/integration/gateway/slow_answer_proxy.h"

#include <poll.h>
#include <unistd.h>

#include "absl/time/clock.h"

namespace shouhu::testing {

std::unique_ptr<SlowAnswerProxy> SlowAnswerProxy::Start(int port, absl::Duration delay) {
  std::unique_ptr<SlowAnswerProxy> proxy(new SlowAnswerProxy(delay));
  if (!proxy->Listen("127.0.0.1", port)) return nullptr;
  return proxy;
}

// Both directions as they come, except that nothing of the backend's reaches the client until `delay_` after
// the connection was taken.
void SlowAnswerProxy::Relay(int client, int server) {
  const absl::Time answer_from = absl::Now() + delay_;
  char chunk[16384];
  while (!stopping()) {
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
