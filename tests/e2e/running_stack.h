// The real binaries — shouhu-registry and shouhu-gateway — started as processes on loopback ports against
// the test MariaDB, with a token issuer key made for the run. Stopped with SIGTERM, as Kubernetes would.
#ifndef SHOUHU_TESTS_E2E_RUNNING_STACK_H_
#define SHOUHU_TESTS_E2E_RUNNING_STACK_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/gateway/gateway_harness.h"
#include "tests/support/child_process.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_server.h"

namespace shouhu::testing {

// What `command` prints on stdout.
std::string RunCommand(const std::string& command);
// Polls grpc.health.v1 until SERVING or `timeout`.
inline bool WaitServing(const std::string& target, absl::Duration timeout) {
  return WaitHealth(target, grpc::health::v1::HealthCheckResponse::SERVING, timeout);
}

struct StackOptions {
  std::string name = "e2e";  // names the temporary directory and the schemas, with the pid
  // The gateway's per-client rate limit.
  int rate_per_second = 1000;
  int rate_burst = 1000;
  std::map<std::string, std::string> gateway_env;  // extra or overriding settings
};

struct RunningStack {
  // Starts shouhu-registry and shouhu-gateway (paths from the build) against the test MariaDB; does not wait
  // for them to serve (WaitServing). The destructor stops both and drops their schemas.
  static std::unique_ptr<RunningStack> Start(const StackOptions& options = {});
  ~RunningStack();

  std::string registry_target() const { return "127.0.0.1:" + std::to_string(registry_port); }
  std::string gateway_target() const { return "127.0.0.1:" + std::to_string(gateway_port); }
  // The last lines of a process's log ("registry.log", "gateway.log").
  std::string Log(const std::string& name) const;

  std::string dir;
  // The public keys both processes trust (the test keys), re-read every second: add or remove a <kid>.pub
  // here to rotate.
  std::string trusted_keys_dir;
  KeyPair issuer;
  int registry_port = 0;
  int gateway_port = 0;
  int http_port = 0;
  std::string registry_db;
  std::string gateway_db;
  std::unique_ptr<ChildProcess> registry;
  std::unique_ptr<ChildProcess> gateway;
  // How the registry was started, for RestartRegistry.
  std::string registry_binary;
  std::map<std::string, std::string> registry_env;

  // kill -9 of the registry: a crash, nothing drained or flushed.
  void CrashRegistry();
  // The registry started again as it was first (same port, schema and keys), its log in `log`.
  void RestartRegistry(const std::string& log = "registry-restarted.log");

  std::string Token(const std::string& subject, const std::string& organisation, const std::string& role,
                    const std::string& jurisdiction) const;
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_E2E_RUNNING_STACK_H_
