// What the tests' TCP proxies share: a listener on a free loopback port whose every accepted connection is
// joined to a new connection to the upstream and handed, both sockets, to the proxy's Relay on a thread of
// its own. SeveringProxy and SlowAnswerProxy differ only in what Relay passes on, and when.
#ifndef SHOUHU_TESTS_INTEGRATION_GATEWAY_LOOPBACK_PROXY_H_
#define SHOUHU_TESTS_INTEGRATION_GATEWAY_LOOPBACK_PROXY_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace shouhu::testing {

class LoopbackProxy {
 public:
  virtual ~LoopbackProxy();  // Stop()
  LoopbackProxy(const LoopbackProxy&) = delete;
  LoopbackProxy& operator=(const LoopbackProxy&) = delete;

  int port() const { return port_; }

 protected:
  LoopbackProxy() = default;
  // Listens and starts accepting, each connection relayed to host:port; false when it cannot listen.
  bool Listen(const std::string& host, int upstream_port);
  // Stops accepting and joins every relay. A derived proxy calls it first in its own destructor, so no relay
  // runs on a half-destroyed object.
  void Stop();
  bool stopping() const { return stopping_.load(); }
  // Relays one connection until either side closes or the proxy stops; closes both sockets.
  virtual void Relay(int client, int server) = 0;

 private:
  void Accept();

  std::string host_;
  int upstream_port_ = 0;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  absl::Mutex mu_;
  std::vector<std::thread> relays_ ABSL_GUARDED_BY(mu_);
};

// Writes all of `size` bytes (false when the socket is gone).
bool WriteAll(int fd, const char* data, size_t size);

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_INTEGRATION_GATEWAY_LOOPBACK_PROXY_H_
