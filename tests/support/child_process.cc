#include "tests/support/child_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/time/clock.h"

namespace shouhu::testing {

ChildProcess::ChildProcess(const std::string& binary, const std::map<std::string, std::string>& env,
                           const std::string& log) {
  pid_ = fork();
  if (pid_ == 0) {
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    // Appended: a process started again after a crash writes after its first life.
    FILE* out = std::freopen(log.c_str(), "a", stderr);
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
  Kill();
  return -1;
}

void ChildProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace shouhu::testing
