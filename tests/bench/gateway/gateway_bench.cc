// Gateway overhead benchmark (issue 4). Targets: through the gateway at least 50% of direct throughput at
// concurrency 64, and at most 0.3 ms added median latency at concurrency 1.
#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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

// A minimal HTTP/1.1 keep-alive client: one connection per benchmark thread.
class HttpClient {
 public:
  explicit HttpClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~HttpClient() {
    if (fd_ >= 0) close(fd_);
  }
  // True for a 200 answer.
  bool Post(const std::string& request) {
    if (fd_ < 0 || write(fd_, request.data(), request.size()) != static_cast<ssize_t>(request.size()))
      return false;
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    const std::string headers = buffer_.substr(0, header_end);
    size_t length = 0;
    const size_t at = headers.find("Content-Length: ");
    if (at == std::string::npos ||
        !absl::SimpleAtoi(headers.substr(at + 16, headers.find("\r\n", at) - at - 16), &length)) {
      return false;
    }
    while (buffer_.size() < header_end + 4 + length) {
      if (!Fill()) return false;
    }
    const bool ok = headers.compare(9, 3, "200") == 0;
    buffer_.erase(0, header_end + 4 + length);
    return ok;
  }

 private:
  bool Fill() {
    char chunk[8192];
    const ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buffer_;
};

void Report(const char* name, int concurrency, const Result& r) {
  std::printf("%-22s c=%-3d %9.0f calls/s  p50 %7.3f ms  p99 %7.3f ms  errors %lld\n", name, concurrency,
              r.qps, r.p50_ms, r.p99_ms, static_cast<long long>(r.errors));
}

int Run() {
  HarnessOptions options;
  options.http_threads = 72;  // one per JSON client connection at concurrency 64, and a few spare
  options.rate_limit = {0, 0};
  options.max_deadline = absl::Seconds(10);
  auto harness = GatewayHarness::Start(options);
  if (!harness.ok()) {
    std::fprintf(stderr, "cannot start: %s\n", std::string(harness.status().message()).c_str());
    return 1;
  }
  GatewayHarness& h = **harness;
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
  const std::string http_request = absl::StrCat(
      "POST /v1/shouhu.echo.v1.EchoService/GetChild HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ",
      token, "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(), "\r\n\r\n", body);
  auto json = [&] {
    return [&, client = std::make_shared<HttpClient>(h.http_port())] { return client->Post(http_request); };
  };

  std::printf("gateway benchmark: GetChild (cheap read), %d s per row\n", absl::GetFlag(FLAGS_seconds));
  bool met = true;
  for (int concurrency : {1, 64}) {
    const Result d = Measure(concurrency, direct);
    Report("direct gRPC", concurrency, d);
    const Result g = Measure(concurrency, through);
    Report("gateway gRPC", concurrency, g);
    const Result j = Measure(concurrency, json);
    Report("gateway JSON", concurrency, j);
    if (concurrency == 1) {
      std::printf("  added median latency: gRPC %.3f ms, JSON %.3f ms (target ≤ 0.3 ms)\n",
                  g.p50_ms - d.p50_ms, j.p50_ms - d.p50_ms);
      met &= g.p50_ms - d.p50_ms <= 0.3 && j.p50_ms - d.p50_ms <= 0.3;
    } else {
      std::printf("  throughput vs direct: gRPC %.0f%%, JSON %.0f%% (target ≥ 50%%)\n", 100 * g.qps / d.qps,
                  100 * j.qps / d.qps);
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
