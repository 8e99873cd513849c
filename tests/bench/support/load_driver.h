// The benchmarks' load loop: N client threads, each with one call in flight, calling back to back for a
// time or a number of calls, with latencies kept per method (p50/p99) and failed calls counted by status
// code. Used by tests/bench/scale's loader and mix and the allowance and training load programs; figures
// only, no assertions.
#ifndef SHOUHU_TESTS_BENCH_SUPPORT_LOAD_DRIVER_H_
#define SHOUHU_TESTS_BENCH_SUPPORT_LOAD_DRIVER_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace shouhu::bench {

// The value at fraction p (0..1) of sorted values; 0 for none.
double Percentile(const std::vector<double>& sorted, double p);

struct MethodFigures {
  std::string method;
  int64_t calls = 0;   // successful calls (the latencies are theirs)
  int64_t errors = 0;  // failed calls
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  std::map<int, int64_t> error_codes;  // grpc::StatusCode → count
  std::string first_error;             // "code N: message" of the first failure
};

struct LoadFigures {
  int concurrency = 0;
  double seconds = 0;
  std::vector<MethodFigures> methods;  // in the order of the names given

  int64_t Calls() const;
  int64_t Errors() const;
  double Rate(const MethodFigures& m) const {
    return seconds > 0 ? static_cast<double>(m.calls) / seconds : 0;
  }
  const MethodFigures* Find(const std::string& method) const;
};

// Where one thread's calls record the RPCs they made (a call may make several: submit, approve, pay).
class CallLog {
 public:
  explicit CallLog(size_t methods) : latencies(methods), errors(methods) {}
  // method: the index of its name in RunLoad's names.
  void Add(int method, const grpc::Status& status, absl::Duration took);
  // Runs `rpc` (returning grpc::Status), timing it, records it and returns its status.
  template <typename Rpc>
  grpc::Status Timed(int method, Rpc rpc) {
    const absl::Time began = absl::Now();
    grpc::Status status = rpc();
    Add(method, status, absl::Now() - began);
    return status;
  }

  struct Errors {
    std::map<int, int64_t> codes;
    std::string first;
  };
  std::vector<std::vector<double>> latencies;  // per method, ms, successful RPCs
  std::vector<Errors> errors;                  // per method
};

struct LoadOptions {
  int concurrency = 1;
  absl::Duration length = absl::Seconds(10);  // when requests is 0
  int64_t requests = 0;                       // > 0: exactly this many calls, n = 0..requests-1
  // Called about twice a second from a watcher thread with the calls finished so far (a progress bar).
  std::function<void(int64_t done)> progress;
};

// `count` channels to `target`, each connected before it is returned; distinct channel arguments keep gRPC
// from sharing one subchannel between them. A phase must not start on connections still being made: a call
// without wait-for-ready on a channel whose first connect failed fails at once, and a load thread then burns
// through its share of a phase's calls in milliseconds (seen as most of a phase failing with UNAVAILABLE).
// Calls should also set wait_for_ready, so a connection lost mid-phase is waited for, not counted as
// failures.
absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> ConnectedChannels(
    const std::string& target, int count, int max_receive_bytes = 0,
    absl::Duration within = absl::Seconds(30));

// Runs `call(thread, n, log)` from options.concurrency threads until the time or the requests run out; n
// counts calls across threads from 0; each call records its RPCs in `log` (its thread's own).
LoadFigures RunLoad(const LoadOptions& options, const std::vector<std::string>& methods,
                    const std::function<void(int thread, int64_t n, CallLog& log)>& call);

// The same loop on gRPC's callback API: options.concurrency calls in flight, no thread per call. Each slot
// issues a call; its completion (on one of gRPC's threads) reports the outcome through `done` and the slot
// issues its next. On this 2-core machine the load program shares the CPU with what it measures, and a
// blocked thread per call costs the client about twice the CPU of a callback (allowance bench: load program
// per payment at 64). `issue(slot, n, done)` starts call n and must call `done` exactly once.
using CallDone = std::function<void(const grpc::Status&)>;
LoadFigures RunCallbackLoad(const LoadOptions& options, const std::string& method,
                            const std::function<void(int slot, int64_t n, CallDone done)>& issue);

// The run's only (first) method as one line of JSON, for the run scripts that read figures by name:
// {"mode","concurrency","calls" (successful),"failures","seconds","calls_per_second","p50_ms","p99_ms"},
// then `more` (",\"name\":value..."), when given.
std::string JsonLine(const std::string& mode, const LoadFigures& figures, const std::string& more = "");

// One line per method that ran: "  Method  calls/s  p50  p99  calls  errors", and the codes of any failures.
std::string FiguresTable(const LoadFigures& figures);

}  // namespace shouhu::bench

#endif  // SHOUHU_TESTS_BENCH_SUPPORT_LOAD_DRIVER_H_
