// The real binaries — shouhu-registry and shouhu-gateway — started as processes on loopback ports against
// the test MariaDB, with a token issuer key made for the run. Stopped with SIGTERM, as Kubernetes would.
#ifndef SHOUHU_TESTS_E2E_RUNNING_STACK_H_
#define SHOUHU_TESTS_E2E_RUNNING_STACK_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/gateway/gateway_harness.h"

namespace shouhu::testing {

class ChildProcess {
 public:
  ChildProcess(const std::string& binary, const std::map<std::string, std::string>& env,
               const std::string& log);
  ~ChildProcess();
  // SIGTERM, then the exit code (or -1 if it had to be killed after `grace`).
  int Terminate(absl::Duration grace = absl::Seconds(15));
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

int FreePort();
// Polls grpc.health.v1 until SERVING or `timeout`.
bool WaitServing(const std::string& target, absl::Duration timeout);

struct RunningStack {
  std::string dir;
  std::string principal_secret_hex;
  std::string principal_secret;
  KeyPair issuer;
  int registry_port = 0;
  int gateway_port = 0;
  int http_port = 0;
  std::string registry_db;
  std::string gateway_db;
  std::unique_ptr<ChildProcess> registry;
  std::unique_ptr<ChildProcess> gateway;

  std::string Token(const std::string& subject, const std::string& organisation, const std::string& role,
                    const std::string& jurisdiction) const;
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_E2E_RUNNING_STACK_H_
