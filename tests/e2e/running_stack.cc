#include "tests/e2e/running_stack.h"

#include <grpcpp/create_channel.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"

extern char** environ;

namespace shouhu::testing {

ChildProcess::ChildProcess(const std::string& binary, const std::map<std::string, std::string>& env,
                           const std::string& log) {
  pid_ = fork();
  if (pid_ == 0) {
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    FILE* out = std::freopen(log.c_str(), "w", stderr);
    (void)out;
    execl(binary.c_str(), binary.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) Terminate(absl::Seconds(5));
}

int ChildProcess::Terminate(absl::Duration grace) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const absl::Time give_up = absl::Now() + grace;
  int status = 0;
  while (absl::Now() < give_up) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool WaitServing(const std::string& target, absl::Duration timeout) {
  auto stub =
      grpc::health::v1::Health::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckResponse response;
    if (stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  return false;
}

std::string RunningStack::Token(const std::string& subject, const std::string& organisation,
                                const std::string& role, const std::string& jurisdiction) const {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return MintToken("ES256", "e2e-1", issuer.private_pem,
                   {{"iss", "https://idp.e2e.shouhu"},
                    {"aud", "shouhu-gateway"},
                    {"sub", subject},
                    {"org", organisation},
                    {"roles", {role}},
                    {"jurisdictions", {jurisdiction}},
                    {"iat", now},
                    {"exp", now + 600}});
}

}  // namespace shouhu::testing
