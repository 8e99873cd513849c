// Gateway overhead benchmark (issue 4). Targets: through the gateway at least 50% of direct throughput at
// concurrency 64, and at most 0.3 ms added median latency at concurrency 1.
#include <grpcpp/create_channel.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/gateway/civetweb_face.h"
#include "tests/integration/gateway/gateway_harness.h"

ABSL_FLAG(int, seconds, 3, "seconds per measurement");

namespace shouhu::testing {
namespace {

struct Result {
  double qps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
};

// Runs `call` from `concurrency` threads for the configured time; each thread has its own client state.
template <typename MakeCaller>
Result Measure(int concurrency, MakeCaller make_caller) {
  const absl::Duration length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  std::vector<std::vector<double>> latencies(concurrency);
  std::atomic<int64_t> errors{0};
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  const absl::Time warm = start + absl::Milliseconds(300);
  const absl::Time end = warm + length;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      auto caller = make_caller();
      for (;;) {
        const absl::Time before = absl::Now();
        if (before >= end) break;
        const bool ok = caller();
        const absl::Time after = absl::Now();
        if (!ok) errors.fetch_add(1);
        if (before >= warm) latencies[t].push_back(absl::ToDoubleMilliseconds(after - before));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Result r;
  r.errors = errors.load();
  if (all.empty()) return r;
  r.qps = static_cast<double>(all.size()) / absl::ToDoubleSeconds(length);
  r.p50_ms = all[all.size() / 2];
  r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  return r;
}

void Report(const char* name, int concurrency, const Result& r) {
  std::printf("%-24s c=%-3d %9.0f calls/s  p50 %7.3f ms  p99 %7.3f ms  errors %lld\n", name, concurrency,
              r.qps, r.p50_ms, r.p99_ms, static_cast<long long>(r.errors));
}

int Run() {
  HarnessOptions options;
  options.rate_limit = {0, 0};
  options.max_deadline = absl::Seconds(10);
  auto harness = GatewayHarness::Start(options);
  if (!harness.ok()) {
    std::fprintf(stderr, "cannot start: %s\n", std::string(harness.status().message()).c_str());
    return 1;
  }
  GatewayHarness& h = **harness;
  // civetweb serves a keep-alive connection on one thread for its whole life: at concurrency 64 it needs 64
  // threads, or it measures fewer calls in flight than it claims.
  auto civetweb = gateway::CivetwebFace::Start("127.0.0.1:0", 72, 64 * 1024, h.gateway().forwarding_env());
  if (!civetweb.ok()) {
    std::fprintf(stderr, "cannot start civetweb: %s\n", std::string(civetweb.status().message()).c_str());
    return 1;
  }
  const std::string token = h.OfficerToken();
  SystemClock clock;
  PrincipalSigner signer(TestPrincipalSecret(), clock);
  Principal principal;
  principal.set_subject("officer-wuhua-1");
  principal.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  principal.add_jurisdictions("530102");

  // Channels per direction, shared by the threads as a real client would.
  auto direct_channel = grpc::CreateChannel(h.backend()->address(), grpc::InsecureChannelCredentials());
  auto gateway_channel = grpc::CreateChannel(h.grpc_target(), grpc::InsecureChannelCredentials());
  echo::v1::GetChildRequest request;
  request.set_child_id("child-530102");

  auto direct = [&] {
    return [&, stub = std::shared_ptr<echo::v1::EchoService::Stub>(
                   echo::v1::EchoService::NewStub(direct_channel))] {
      grpc::ClientContext context;
      signer.Attach(principal, context);
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      echo::v1::GetChildResponse response;
      return stub->GetChild(&context, request, &response).ok();
    };
  };
  auto through = [&] {
    return [&, stub = std::shared_ptr<echo::v1::EchoService::Stub>(
                   echo::v1::EchoService::NewStub(gateway_channel))] {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + token);
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      echo::v1::GetChildResponse response;
      return stub->GetChild(&context, request, &response).ok();
    };
  };
  const std::string body = R"({"childId": "child-530102"})";
  const std::string http_request = HttpPostRequest("/v1/shouhu.echo.v1.EchoService/GetChild", body,
                                                   {{"Authorization", "Bearer " + token}});
  auto json = [&] {
    return [&, client = std::make_shared<HttpConnection>(h.http_port())] {
      return client->Write(http_request) && client->Read().status == 200;
    };
  };
  auto json_civetweb = [&] {
    return [&, client = std::make_shared<HttpConnection>((*civetweb)->port())] {
      return client->Write(http_request) && client->Read().status == 200;
    };
  };

  std::printf("gateway benchmark: GetChild (cheap read), %d s per row\n", absl::GetFlag(FLAGS_seconds));
  bool met = true;
  for (int concurrency : {1, 64}) {
    const Result d = Measure(concurrency, direct);
    Report("direct gRPC", concurrency, d);
    const Result g = Measure(concurrency, through);
    Report("gateway gRPC", concurrency, g);
    const Result j = Measure(concurrency, json);
    Report("gateway JSON (Beast)", concurrency, j);
    const Result c = Measure(concurrency, json_civetweb);
    Report("gateway JSON (civetweb)", concurrency, c);
    if (concurrency == 1) {
      std::printf(
          "  added median latency: gRPC %.3f ms, JSON %.3f ms, civetweb JSON %.3f ms (target ≤ 0.3 ms)\n",
          g.p50_ms - d.p50_ms, j.p50_ms - d.p50_ms, c.p50_ms - d.p50_ms);
      met &= g.p50_ms - d.p50_ms <= 0.3 && j.p50_ms - d.p50_ms <= 0.3;
    } else {
      std::printf("  throughput vs direct: gRPC %.0f%%, JSON %.0f%%, civetweb JSON %.0f%% (target ≥ 50%%)\n",
                  100 * g.qps / d.qps, 100 * j.qps / d.qps, 100 * c.qps / d.qps);
      met &= g.qps >= 0.5 * d.qps && j.qps >= 0.5 * d.qps;
    }
  }
  std::printf("targets %s\n", met ? "met" : "NOT met");
  return 0;
}

}  // namespace
}  // namespace shouhu::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return shouhu::testing::Run();
}
