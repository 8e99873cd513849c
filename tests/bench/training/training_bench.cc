// Load program for the qualification API: starts nothing, talks gRPC to --target. Two modes:
//   batch   BatchCheckQualification of --batch_size random participants on one date
//   single  CheckQualification of one random participant
// with --concurrency client threads issuing --requests calls in all, and prints throughput and latency
// percentiles as one line of JSON. The participants are the ones tests/bench/training/run loads: ids
// "01BENCH" + 19-digit number 1..--population. The principal is signed with the gateway key in
// SHOUHU_SIGNING_KEY_FILE.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
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
#include "shouhu/training/v1/training.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50054", "the training service");
ABSL_FLAG(std::string, mode, "single", "batch or single");
ABSL_FLAG(int, concurrency, 16, "client threads");
ABSL_FLAG(int, requests, 20000, "calls in all");
ABSL_FLAG(int, batch_size, 300, "participants per batch call");
ABSL_FLAG(int, population, 20000, "participants loaded");
ABSL_FLAG(std::string, date, "2026-06-06", "the day asked about");

namespace {

namespace v1 = shouhu::training::v1;

std::string BenchId(int n) { return absl::StrFormat("01BENCH%019d", n); }

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
  principal.set_subject("bench");
  principal.set_organisation_id("visits");
  principal.add_roles(shouhu::common::v1::ROLE_SYSTEM);
  // A system principal carries a jurisdiction like everyone (no bypass): the seeded population is Wuding's.
  principal.add_jurisdictions("532329");

  const std::string mode = absl::GetFlag(FLAGS_mode);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const int requests = absl::GetFlag(FLAGS_requests);
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  const int population = absl::GetFlag(FLAGS_population);
  const std::string date = absl::GetFlag(FLAGS_date);

  // One channel per client thread, so the client is not the bottleneck of a single HTTP/2 connection.
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::atomic<long> qualified{0};
  std::vector<std::vector<double>> latencies(concurrency);
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", t);  // distinct subchannels
      auto channel =
          grpc::CreateCustomChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args);
      auto stub = v1::TrainingService::NewStub(channel);
      std::mt19937 random(static_cast<unsigned>(t) * 7919u + 1);
      std::uniform_int_distribution<int> pick(1, population);
      while (next.fetch_add(1) < requests) {
        grpc::ClientContext context;
        signer.Attach(principal, context);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        const absl::Time began = absl::Now();
        grpc::Status status;
        if (mode == "batch") {
          v1::BatchCheckQualificationRequest request;
          for (int i = 0; i < batch_size; ++i) request.add_participant_ids(BenchId(pick(random)));
          request.set_activity(v1::ACTIVITY_HOME_VISIT);
          request.set_date(date);
          v1::BatchCheckQualificationResponse response;
          status = stub->BatchCheckQualification(&context, request, &response);
          for (const auto& r : response.results()) qualified += r.qualified();
        } else {
          v1::CheckQualificationRequest request;
          request.set_participant_id(BenchId(pick(random)));
          request.set_activity(v1::ACTIVITY_HOME_VISIT);
          request.set_date(date);
          v1::CheckQualificationResponse response;
          status = stub->CheckQualification(&context, request, &response);
          qualified += response.result().qualified();
        }
        latencies[t].push_back(absl::ToDoubleMilliseconds(absl::Now() - began));
        if (!status.ok()) {
          if (failures.fetch_add(1) < 3)
            std::fprintf(stderr, "call failed: %s\n", status.error_message().c_str());
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
      "{\"mode\":\"%s\",\"concurrency\":%d,\"calls\":%zu,\"failures\":%d,\"seconds\":%.3f,\"calls_per_"
      "second\":%.1f,"
      "\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"qualified_answers\":%ld}\n",
      mode.c_str(), concurrency, all.size(), failures.load(), seconds,
      static_cast<double>(all.size()) / seconds, Percentile(all, 0.50), Percentile(all, 0.95),
      Percentile(all, 0.99), qualified.load());
  return failures.load() == 0 ? 0 : 1;
}
