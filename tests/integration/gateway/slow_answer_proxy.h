// A loopback TCP proxy in front of a backend that holds back the backend's first answer on each new
// connection for a while: a backend that accepts a connection but is slow to speak (starved of CPU, say), as
// the gateway meets it when it connects or reconnects.
#ifndef SHOUHU_TESTS_INTEGRATION_GATEWAY_SLOW_ANSWER_PROXY_H_
#define SHOUHU_TESTS_INTEGRATION_GATEWAY_SLOW_ANSWER_PROXY_H_

#include <memory>

#include "absl/time/time.h"
#include "tests/integration/gateway/loopback_proxy.h"

namespace shouhu::testing {

class SlowAnswerProxy final : public LoopbackProxy {
 public:
  // Forwards to 127.0.0.1:`port`; listens on a free loopback port. Null when it cannot listen.
  static std::unique_ptr<SlowAnswerProxy> Start(int port, absl::Duration delay);
  ~SlowAnswerProxy() override { Stop(); }

 private:
  explicit SlowAnswerProxy(absl::Duration delay) : delay_(delay) {}
  void Relay(int client, int server) override;

  const absl::Duration delay_;
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_INTEGRATION_GATEWAY_SLOW_ANSWER_PROXY_H_
