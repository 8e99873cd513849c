#include "tests/bench/support/load_driver.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace shouhu::bench {

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

int64_t LoadFigures::Calls() const {
  int64_t n = 0;
  for (const auto& m : methods) n += m.calls;
  return n;
}

int64_t LoadFigures::Errors() const {
  int64_t n = 0;
  for (const auto& m : methods) n += m.errors;
  return n;
}

const MethodFigures* LoadFigures::Find(const std::string& method) const {
  for (const auto& m : methods) {
    if (m.method == method) return &m;
  }
  return nullptr;
}

void CallLog::Add(int method, const grpc::Status& status, absl::Duration took) {
  const size_t m = std::min(static_cast<size_t>(std::max(0, method)), latencies.size() - 1);
  if (status.ok()) {
    latencies[m].push_back(absl::ToDoubleMilliseconds(took));
    return;
  }
  Errors& e = errors[m];
  if (e.codes.empty()) {
    e.first = absl::StrCat("code ", static_cast<int>(status.error_code()), ": ", status.error_message());
  }
  ++e.codes[static_cast<int>(status.error_code())];
}

absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> ConnectedChannels(const std::string& target,
                                                                              int count,
                                                                              int max_receive_bytes,
                                                                              absl::Duration within) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < count; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", c);
    if (max_receive_bytes > 0) args.SetMaxReceiveMessageSize(max_receive_bytes);
    channels.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  const auto deadline = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(within);
  for (int c = 0; c < count; ++c) {
    if (!channels[static_cast<size_t>(c)]->WaitForConnected(deadline)) {
      return absl::UnavailableError(absl::StrCat("channel ", c, " of ", count, " to ", target,
                                                 " did not connect within ", absl::FormatDuration(within)));
    }
  }
  return channels;
}

namespace {

// One method's figures from every thread's (or slot's) log.
MethodFigures Summarize(const std::string& method, size_t m,
                        const std::vector<std::unique_ptr<CallLog>>& logs) {
  MethodFigures f;
  f.method = method;
  std::vector<double> all;
  for (const auto& log : logs) {
    all.insert(all.end(), log->latencies[m].begin(), log->latencies[m].end());
    for (const auto& [code, count] : log->errors[m].codes) {
      if (f.first_error.empty()) f.first_error = log->errors[m].first;
      f.error_codes[code] += count;
      f.errors += count;
    }
  }
  std::sort(all.begin(), all.end());
  f.calls = static_cast<int64_t>(all.size());
  f.p50_ms = Percentile(all, 0.50);
  f.p95_ms = Percentile(all, 0.95);
  f.p99_ms = Percentile(all, 0.99);
  return f;
}

}  // namespace

LoadFigures RunLoad(const LoadOptions& options, const std::vector<std::string>& methods,
                    const std::function<void(int thread, int64_t n, CallLog& log)>& call) {
  const int threads = std::max(1, options.concurrency);
  // Each thread keeps its own log: nothing is shared on the hot path but the call counters.
  std::vector<std::unique_ptr<CallLog>> logs;
  for (int t = 0; t < threads; ++t)
    logs.push_back(std::make_unique<CallLog>(std::max<size_t>(1, methods.size())));
  std::atomic<int64_t> next{0}, done{0};
  const absl::Time start = absl::Now();
  const absl::Time end = start + options.length;
  absl::Notification finished;
  std::thread watcher;
  if (options.progress) {
    watcher = std::thread([&] {
      while (!finished.WaitForNotificationWithTimeout(absl::Milliseconds(500))) options.progress(done.load());
    });
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (;;) {
        if (options.requests <= 0 && absl::Now() >= end) break;
        const int64_t n = next.fetch_add(1);
        if (options.requests > 0 && n >= options.requests) break;
        call(t, n, *logs[t]);
        done.fetch_add(1);
      }
    });
  }
  for (auto& thread : pool) thread.join();
  LoadFigures result;
  result.concurrency = threads;
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  finished.Notify();
  if (watcher.joinable()) watcher.join();
  if (options.progress) options.progress(done.load());
  for (size_t m = 0; m < methods.size(); ++m) result.methods.push_back(Summarize(methods[m], m, logs));
  return result;
}

namespace {

// The slots of a callback load: each slot's chain of calls is sequential (a call's completion issues the
// next), so its log needs no lock; the count of slots still running does.
class CallbackLoad {
 public:
  CallbackLoad(const LoadOptions& options, const std::function<void(int, int64_t, CallDone)>& issue)
      : options_(options), issue_(issue), slots_(std::max(1, options.concurrency)) {
    for (int s = 0; s < slots_; ++s) logs_.push_back(std::make_unique<CallLog>(1));
  }

  absl::Duration Run() {
    const absl::Time start = absl::Now();
    end_ = start + options_.length;
    {
      absl::MutexLock lock(&mu_);
      running_ = slots_;
    }
    for (int s = 0; s < slots_; ++s) Next(s);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &running_));
    return absl::Now() - start;
  }

  int64_t Done() const { return done_.load(); }
  const std::vector<std::unique_ptr<CallLog>>& logs() const { return logs_; }

 private:
  void Next(int slot) {
    const int64_t n = next_.fetch_add(1);
    if ((options_.requests > 0 && n >= options_.requests) ||
        (options_.requests <= 0 && absl::Now() >= end_)) {
      absl::MutexLock lock(&mu_);
      --running_;
      return;
    }
    const absl::Time began = absl::Now();
    issue_(slot, n, [this, slot, began](const grpc::Status& status) {
      logs_[static_cast<size_t>(slot)]->Add(0, status, absl::Now() - began);
      done_.fetch_add(1);
      Next(slot);
    });
  }

  const LoadOptions& options_;
  const std::function<void(int, int64_t, CallDone)>& issue_;
  const int slots_;
  absl::Time end_;
  std::vector<std::unique_ptr<CallLog>> logs_;
  std::atomic<int64_t> next_{0}, done_{0};
  absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

LoadFigures RunCallbackLoad(const LoadOptions& options, const std::string& method,
                            const std::function<void(int slot, int64_t n, CallDone done)>& issue) {
  CallbackLoad load(options, issue);
  absl::Notification finished;
  std::thread watcher;
  if (options.progress) {
    watcher = std::thread([&] {
      while (!finished.WaitForNotificationWithTimeout(absl::Milliseconds(500))) options.progress(load.Done());
    });
  }
  const absl::Duration took = load.Run();
  finished.Notify();
  if (watcher.joinable()) watcher.join();
  if (options.progress) options.progress(load.Done());
  LoadFigures result;
  result.concurrency = std::max(1, options.concurrency);
  result.seconds = absl::ToDoubleSeconds(took);
  result.methods.push_back(Summarize(method, 0, load.logs()));
  return result;
}

std::string JsonLine(const std::string& mode, const LoadFigures& figures, const std::string& more) {
  const MethodFigures none;
  const MethodFigures& m = figures.methods.empty() ? none : figures.methods.front();
  return absl::StrFormat(
      "{\"mode\":\"%s\",\"concurrency\":%d,\"calls\":%lld,\"failures\":%lld,\"seconds\":%.3f,"
      "\"calls_per_second\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f%s}",
      mode, figures.concurrency, static_cast<long long>(m.calls), static_cast<long long>(m.errors),
      figures.seconds, figures.Rate(m), m.p50_ms, m.p99_ms, more);
}

std::string FiguresTable(const LoadFigures& figures) {
  std::string out;
  for (const MethodFigures& m : figures.methods) {
    if (m.calls == 0 && m.errors == 0) continue;
    absl::StrAppendFormat(&out, "  %-26s %9.1f/s  p50 %8.2f ms  p99 %8.2f ms  %8lld calls  %lld errors\n",
                          m.method, figures.Rate(m), m.p50_ms, m.p99_ms, static_cast<long long>(m.calls),
                          static_cast<long long>(m.errors));
    for (const auto& [code, count] : m.error_codes) {
      absl::StrAppendFormat(&out, "    !!! %lld failed with code %d (first: %s)\n",
                            static_cast<long long>(count), code, m.first_error);
    }
  }
  return out;
}

}  // namespace shouhu::bench
