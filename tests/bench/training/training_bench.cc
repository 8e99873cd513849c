// Load program for the qualification API: starts nothing, talks gRPC to --target. Two modes:
//   batch   BatchCheckQualification of --batch_size random participants on one date
//   single  CheckQualification of one random participant
// with --concurrency client threads (tests/bench/support/load_driver) issuing --requests calls in all, and
// prints throughput and latency percentiles as one line of JSON. The participants are the ones
// tests/bench/training/run loads: ids "01BENCH" + 19-digit number 1..--population. The principal is signed
// with the gateway key in SHOUHU_SIGNING_KEY_FILE.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/principal.h"
#include "shouhu/training/v1/training.grpc.pb.h"
#include "tests/bench/support/load_driver.h"

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

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As InitProcess does in the services: Debian's Abseil checks every Mutex acquisition for lock-order cycles,
  // which cost this load program about 8% of its CPU (perf, payments at 64).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
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
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  const int population = absl::GetFlag(FLAGS_population);
  const std::string date = absl::GetFlag(FLAGS_date);
  shouhu::bench::LoadOptions options;
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.requests = absl::GetFlag(FLAGS_requests);

  // One channel and one random stream per client thread, so the client is not the bottleneck of a single
  // HTTP/2 connection.
  auto channels = shouhu::bench::ConnectedChannels(absl::GetFlag(FLAGS_target), options.concurrency);
  if (!channels.ok()) {
    std::fprintf(stderr, "%s\n", std::string(channels.status().message()).c_str());
    return 2;
  }
  std::vector<std::unique_ptr<v1::TrainingService::Stub>> stubs;
  std::vector<std::mt19937> randoms;
  for (int t = 0; t < options.concurrency; ++t) {
    stubs.push_back(v1::TrainingService::NewStub((*channels)[static_cast<size_t>(t)]));
    randoms.emplace_back(static_cast<unsigned>(t) * 7919u + 1);
  }
  std::atomic<long> qualified{0};
  const shouhu::bench::LoadFigures figures =
      shouhu::bench::RunLoad(options, {mode}, [&](int t, int64_t, shouhu::bench::CallLog& log) {
        std::uniform_int_distribution<int> pick(1, population);
        grpc::ClientContext context;
        signer.Attach(principal, context);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        context.set_wait_for_ready(true);
        log.Timed(0, [&] {
          if (mode == "batch") {
            v1::BatchCheckQualificationRequest request;
            for (int i = 0; i < batch_size; ++i) request.add_participant_ids(BenchId(pick(randoms[t])));
            request.set_activity(v1::ACTIVITY_HOME_VISIT);
            request.set_date(date);
            v1::BatchCheckQualificationResponse response;
            grpc::Status status = stubs[t]->BatchCheckQualification(&context, request, &response);
            for (const auto& r : response.results()) qualified += r.qualified();
            return status;
          }
          v1::CheckQualificationRequest request;
          request.set_participant_id(BenchId(pick(randoms[t])));
          request.set_activity(v1::ACTIVITY_HOME_VISIT);
          request.set_date(date);
          v1::CheckQualificationResponse response;
          grpc::Status status = stubs[t]->CheckQualification(&context, request, &response);
          qualified += response.result().qualified();
          return status;
        });
      });
  if (figures.Errors() > 0) std::fputs(shouhu::bench::FiguresTable(figures).c_str(), stderr);
  std::printf("%s\n", shouhu::bench::JsonLine(mode, figures,
                                              absl::StrCat(",\"qualified_answers\":", qualified.load()))
                          .c_str());
  return figures.Errors() == 0 ? 0 : 1;
}
