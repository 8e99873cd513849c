// Load program for the allowance service's money path: starts nothing, talks gRPC to --target. Modes:
//   approve  ApproveApplication of applications --first .. --first+--count-1 (each once: reserves budget)
//   pay      PayApplication of the same range (each once: a payment row, a ledger entry, the balance row)
// with --concurrency client threads, printing throughput and latency percentiles as one line of JSON. The
// applications are the ones tests/bench/allowance/run loads: ids "01BENCHA" + 18-digit number. The principal
// (the operator NGO's admin) is signed with the gateway key in SHOUHU_SIGNING_KEY_FILE.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/principal.h"
#include "shouhu/allowance/v1/allowance_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50053", "the allowance service");
ABSL_FLAG(std::string, mode, "approve", "approve or pay");
ABSL_FLAG(int, concurrency, 16, "client threads");
ABSL_FLAG(int, first, 1, "the first application number");
ABSL_FLAG(int, count, 2000, "applications in all");
ABSL_FLAG(std::string, run, "r", "distinguishes request ids between runs");

namespace {

namespace v1 = shouhu::allowance::v1;

std::string ApplicationId(int n) { return absl::StrFormat("01BENCHA%018d", n); }

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto key = shouhu::ReadSigningKey(shouhu::EnvOr("SHOUHU_SIGNING_KEY_FILE", ""));
  if (!key.ok()) {
    std::fprintf(stderr, "SHOUHU_SIGNING_KEY_FILE: %s\n", std::string(key.status().message()).c_str());
    return 2;
  }
  shouhu::SystemClock clock;
  shouhu::PrincipalSigner signer(*std::move(key), clock);
  shouhu::Principal principal;
  principal.set_subject("bench-admin");
  principal.set_organisation_id("ngo-bench");
  principal.add_roles(shouhu::common::v1::ROLE_NGO_ADMIN);
  principal.add_jurisdictions("532329");

  const std::string mode = absl::GetFlag(FLAGS_mode);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const int first = absl::GetFlag(FLAGS_first);
  const int count = absl::GetFlag(FLAGS_count);
  const std::string run = absl::GetFlag(FLAGS_run);

  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::vector<double>> latencies(concurrency);
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", t);  // distinct subchannels
      auto channel =
          grpc::CreateCustomChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args);
      auto stub = v1::AllowanceService::NewStub(channel);
      for (int i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
        const std::string id = ApplicationId(first + i);
        grpc::ClientContext context;
        signer.Attach(principal, context);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        const absl::Time began = absl::Now();
        grpc::Status status;
        if (mode == "pay") {
          v1::PayApplicationRequest request;
          request.set_request_id(absl::StrCat(run, "-pay-", id));
          request.set_application_id(id);
          request.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
          request.set_payee_reference("bench-account");
          v1::PayApplicationResponse response;
          status = stub->PayApplication(&context, request, &response);
        } else {
          v1::ApproveApplicationRequest request;
          request.set_request_id(absl::StrCat(run, "-approve-", id));
          request.set_application_id(id);
          v1::ApproveApplicationResponse response;
          status = stub->ApproveApplication(&context, request, &response);
        }
        latencies[t].push_back(absl::ToDoubleMilliseconds(absl::Now() - began));
        if (!status.ok() && failures.fetch_add(1) < 3) {
          std::fprintf(stderr, "%s %s failed: %s\n", mode.c_str(), id.c_str(), status.error_message().c_str());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  std::printf(
      "{\"mode\":\"%s\",\"concurrency\":%d,\"calls\":%zu,\"failures\":%d,\"seconds\":%.3f,"
      "\"calls_per_second\":%.1f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f}\n",
      mode.c_str(), concurrency, all.size(), failures.load(), seconds, static_cast<double>(all.size()) / seconds,
      Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99));
  return failures.load() == 0 ? 0 : 1;
}
