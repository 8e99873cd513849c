// A loopback TCP proxy in front of a backend that holds back the backend's first answer on each new
// connection for a while: a backend that accepts a connection but is slow to speak (starved of CPU, say), as
// the gateway meets it when it connects or reconnects.
#ifndef SHOUHU_TESTS_INTEGRATION_GATEWAY_SLOW_ANSWER_PROXY_H_
#define SHOUHU_TESTS_INTEGRATION_GATEWAY_SLOW_ANSWER_PROXY_H_

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace shouhu::testing {

class SlowAnswerProxy {
 public:
  // Forwards to 127.0.0.1:`port`; listens on a free loopback port. Null when it cannot listen.
  static std::unique_ptr<SlowAnswerProxy> Start(int port, absl::Duration delay);
  ~SlowAnswerProxy();

  int port() const { return port_; }

 private:
  SlowAnswerProxy() = default;
  void Accept();
  void Relay(int client, int server, absl::Time answer_from);

  int upstream_port_ = 0;
  absl::Duration delay_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  absl::Mutex mu_;
  std::vector<std::thread> relays_ ABSL_GUARDED_BY(mu_);
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_INTEGRATION_GATEWAY_SLOW_ANSWER_PROXY_H_
