// Prometheus metrics: a per-process registry (no globals), a gRPC server interceptor recording every call's
// method, code and latency, and the text exposition served over HTTP at /metrics.
#ifndef SHOUHU_COMMON_METRICS_H_
#define SHOUHU_COMMON_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct mg_context;

namespace shouhu {

class Metrics {
 public:
  explicit Metrics(std::string service) : service_(std::move(service)) {}

  void ObserveCall(const std::string& method, int grpc_code, absl::Duration latency);
  // A counter of domain events, e.g. ("shouhu_referrals_submitted_total", "source=\"ngo\"").
  void Add(const std::string& name, const std::string& labels, double delta = 1);
  void Set(const std::string& name, const std::string& labels, double value);
  // A duration outside the calls, into a histogram with the calls' buckets, e.g. how long a read waited for
  // its access log's commit: ("shouhu_access_log_wait_seconds", "").
  void Observe(const std::string& name, const std::string& labels, absl::Duration value);

  std::string Render() const;

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts = {};
    uint64_t count = 0;
    double sum = 0;
    void Observe(double seconds);
  };

  const std::string service_;
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> latency_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, double> counters_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, double> gauges_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, Histogram> histograms_ ABSL_GUARDED_BY(mu_);
};

// GET /metrics over HTTP (civetweb), for Prometheus to scrape.
class MetricsEndpoint {
 public:
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& address,
                                                                const Metrics& metrics);
  ~MetricsEndpoint();

 private:
  explicit MetricsEndpoint(mg_context* context) : context_(context) {}
  mg_context* context_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_METRICS_H_
