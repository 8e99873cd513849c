#include "common/metrics.h"

#include <civetweb.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"

namespace shouhu {
namespace {

// A sample's value as Prometheus reads it back. absl's default for a double keeps six significant digits, so
// an event consumer's checkpoint of 12,345,678 read 1.23457e+07 and a timestamp in seconds was off by days:
// whole numbers are written whole, others with every digit a double holds (and NaN and infinities as
// Prometheus spells them).
std::string SampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::fabs(value) < 9007199254740992.0 && value == std::trunc(value)) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.17g", value);
}

class CallInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallInterceptor(Metrics& metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_.ObserveCall(method_, methods->GetSendStatus().error_code(), absl::Now() - start_);
    }
    methods->Proceed();
  }

 private:
  Metrics& metrics_;
  std::string method_;
  absl::Time start_;
};

class CallInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallInterceptorFactory(Metrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new CallInterceptor(metrics_, info->method() != nullptr ? info->method() : "unknown");
  }

 private:
  Metrics& metrics_;
};

int ServeMetrics(mg_connection* connection, void* user) {
  const std::string body = static_cast<const Metrics*>(user)->Render();
  mg_printf(connection,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            body.size());
  mg_write(connection, body.data(), body.size());
  return 200;
}

}  // namespace

void Metrics::ObserveCall(const std::string& method, int grpc_code, absl::Duration latency) {
  const double seconds = absl::ToDoubleSeconds(latency);
  absl::MutexLock lock(&mu_);
  ++calls_[{method, grpc_code}];
  latency_[method].Observe(seconds);
}

void Metrics::Histogram::Observe(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++counts[i];
  }
  ++count;
  sum += seconds;
}

void Metrics::Observe(const std::string& name, const std::string& labels, absl::Duration value) {
  const double seconds = absl::ToDoubleSeconds(value);
  absl::MutexLock lock(&mu_);
  histograms_[{name, labels}].Observe(seconds);
}

void Metrics::Add(const std::string& name, const std::string& labels, double delta) {
  absl::MutexLock lock(&mu_);
  counters_[{name, labels}] += delta;
}

void Metrics::Set(const std::string& name, const std::string& labels, double value) {
  absl::MutexLock lock(&mu_);
  gauges_[{name, labels}] = value;
}

std::string Metrics::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  const std::string svc = absl::StrCat("service=\"", service_, "\"");
  absl::StrAppend(&out, "# TYPE shouhu_grpc_calls_total counter\n");
  for (const auto& [key, count] : calls_) {
    absl::StrAppend(&out, "shouhu_grpc_calls_total{", svc, ",method=\"", key.first, "\",code=\"",
                    GrpcCodeName(key.second), "\"} ", count, "\n");
  }
  const auto histogram = [&](absl::string_view name, const std::string& labels, const Histogram& h) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      absl::StrAppend(&out, name, "_bucket{", labels, ",le=\"", kBuckets[i], "\"} ", h.counts[i], "\n");
    }
    absl::StrAppend(&out, name, "_bucket{", labels, ",le=\"+Inf\"} ", h.count, "\n");
    absl::StrAppend(&out, name, "_sum{", labels, "} ", absl::StrFormat("%.6f", h.sum), "\n");
    absl::StrAppend(&out, name, "_count{", labels, "} ", h.count, "\n");
  };
  absl::StrAppend(&out, "# TYPE shouhu_grpc_call_seconds histogram\n");
  for (const auto& [method, h] : latency_) {
    histogram("shouhu_grpc_call_seconds", absl::StrCat(svc, ",method=\"", method, "\""), h);
  }
  const std::string* typed = nullptr;  // the histograms are sorted by name: one TYPE line before each name's
  for (const auto& [key, h] : histograms_) {
    if (typed == nullptr || *typed != key.first) {
      absl::StrAppend(&out, "# TYPE ", key.first, " histogram\n");
      typed = &key.first;
    }
    histogram(key.first, key.second.empty() ? svc : absl::StrCat(svc, ",", key.second), h);
  }
  const auto render = [&](const auto& series) {
    for (const auto& [key, value] : series) {
      absl::StrAppend(&out, key.first, "{", svc, key.second.empty() ? "" : ",", key.second, "} ",
                      SampleValue(value), "\n");
    }
  };
  render(counters_);
  render(gauges_);
  return out;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Metrics::InterceptorFactory() {
  return std::make_unique<CallInterceptorFactory>(*this);
}

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const std::string& address,
                                                                        const Metrics& metrics) {
  mg_init_library(0);
  // civetweb wants "host:port" as listening_ports; two threads are plenty for a scrape every few seconds.
  const char* options[] = {"listening_ports", address.c_str(), "num_threads", "2", nullptr};
  mg_callbacks callbacks = {};
  mg_context* context = mg_start(&callbacks, nullptr, options);
  if (context == nullptr) return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address));
  mg_set_request_handler(context, "/metrics", &ServeMetrics, const_cast<Metrics*>(&metrics));
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(context));
}

MetricsEndpoint::~MetricsEndpoint() { mg_stop(context_); }

}  // namespace shouhu
