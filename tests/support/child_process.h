// A service binary run as a child process, for the tests that need the real thing: started with settings in
// its environment and its log in a file, stopped with SIGTERM as Kubernetes would, or killed as a crash
// would.
#ifndef SHOUHU_TESTS_SUPPORT_CHILD_PROCESS_H_
#define SHOUHU_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>

#include "absl/time/time.h"

namespace shouhu::testing {

class ChildProcess {
 public:
  // Starts `binary` with `env` added to this process's environment, its stderr appended to `log`.
  ChildProcess(const std::string& binary, const std::map<std::string, std::string>& env,
               const std::string& log);
  // Terminate(5 s), if still running.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // SIGTERM, then the exit code (or -1 if it had to be killed after `grace`).
  int Terminate(absl::Duration grace = absl::Seconds(15));
  // kill -9, and reaped: a crash, with no chance to drain or flush anything.
  void Kill();
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_CHILD_PROCESS_H_
