// A loopback TCP proxy between the gateway's database pool and the test MariaDB that can play a database
// dying at the worst moment: armed, it lets the next audit INSERT reach the server and be executed (and, in
// autocommit, committed), waits for the server's answer, then closes both sockets without relaying it. The
// gateway sees a lost connection for a write that did land.
//
// It reads the MySQL client/server protocol just enough to know that statement: a COM_STMT_PREPARE whose text
// inserts into audit_log gives, in the server's first answer packet, the statement id that a later
// COM_STMT_EXECUTE names.
#ifndef SHOUHU_TESTS_INTEGRATION_GATEWAY_SEVERING_PROXY_H_
#define SHOUHU_TESTS_INTEGRATION_GATEWAY_SEVERING_PROXY_H_

#include <atomic>
#include <memory>
#include <string>

#include "tests/integration/gateway/loopback_proxy.h"

namespace shouhu::testing {

class SeveringProxy final : public LoopbackProxy {
 public:
  // Forwards to host:port; listens on a free loopback port. Null when it cannot listen.
  static std::unique_ptr<SeveringProxy> Start(const std::string& host, int port);
  ~SeveringProxy() override { Stop(); }

  // The next audit INSERT executed through the proxy loses its answer and its connection.
  void ArmForNextAuditInsert() { armed_ = true; }
  // How many answers were cut.
  int severed() const { return severed_.load(); }

 private:
  SeveringProxy() = default;
  void Relay(int client, int server) override;

  std::atomic<bool> armed_{false};
  std::atomic<int> severed_{0};
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_INTEGRATION_GATEWAY_SEVERING_PROXY_H_
