// Load program for the allowance service's money path: starts nothing, talks gRPC to --target. Modes:
//   approve  ApproveApplication of applications --first .. --first+--count-1 (each once: reserves budget)
//   pay      PayApplication of the same range (each once: a payment row, a ledger entry, the balance row)
// with --concurrency calls in flight (tests/bench/support/load_driver), printing throughput and latency
// percentiles as one line of JSON. The applications are the ones tests/bench/allowance/run loads: ids
// "01BENCHA" + 18-digit number. The principal (the operator NGO's admin) is signed with the gateway key in
// SHOUHU_SIGNING_KEY_FILE.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/principal.h"
#include "shouhu/allowance/v1/allowance_service.grpc.pb.h"
#include "tests/bench/support/load_driver.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50053", "the allowance service");
ABSL_FLAG(std::string, mode, "approve", "approve or pay");
ABSL_FLAG(int, concurrency, 16, "calls in flight");
ABSL_FLAG(int, first, 1, "the first application number");
ABSL_FLAG(int, count, 2000, "applications in all");
ABSL_FLAG(std::string, run, "r", "distinguishes request ids between runs");

namespace {

namespace v1 = shouhu::allowance::v1;

std::string ApplicationId(int64_t n) { return absl::StrFormat("01BENCHA%018d", n); }

// One call's state, alive until its completion has run.
struct Call {
  grpc::ClientContext context;
  v1::PayApplicationRequest pay;
  v1::PayApplicationResponse paid;
  v1::ApproveApplicationRequest approve;
  v1::ApproveApplicationResponse approved;
};

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
  principal.set_subject("bench-admin");
  principal.set_organisation_id("ngo-bench");
  principal.add_roles(shouhu::common::v1::ROLE_NGO_ADMIN);
  principal.add_jurisdictions("532329");

  const std::string mode = absl::GetFlag(FLAGS_mode);
  const std::string run = absl::GetFlag(FLAGS_run);
  const int64_t first = absl::GetFlag(FLAGS_first);
  shouhu::bench::LoadOptions options;
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.requests = absl::GetFlag(FLAGS_count);

  // One channel per slot, as sysbench has a connection per thread, so one HTTP/2 connection is not the bottleneck.
  auto channels = shouhu::bench::ConnectedChannels(absl::GetFlag(FLAGS_target), options.concurrency);
  if (!channels.ok()) {
    std::fprintf(stderr, "%s\n", std::string(channels.status().message()).c_str());
    return 2;
  }
  std::vector<std::unique_ptr<v1::AllowanceService::Stub>> stubs;
  for (const auto& channel : *channels) stubs.push_back(v1::AllowanceService::NewStub(channel));
  // Calls in flight on gRPC's callback API (tests/bench/support/load_driver.h: RunCallbackLoad), so the load
  // program takes as little of the machine it shares with the service and MariaDB as it can.
  const shouhu::bench::LoadFigures figures =
      shouhu::bench::RunCallbackLoad(options, mode, [&](int slot, int64_t n, shouhu::bench::CallDone done) {
        const std::string id = ApplicationId(first + n);
        auto call = std::make_shared<Call>();
        signer.Attach(principal, call->context);
        call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        call->context.set_wait_for_ready(true);
        auto* stub = stubs[static_cast<size_t>(slot)]->async();
        auto finished = [call, done = std::move(done)](grpc::Status status) { done(status); };
        if (mode == "pay") {
          call->pay.set_request_id(absl::StrCat(run, "-pay-", id));
          call->pay.set_application_id(id);
          call->pay.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
          call->pay.set_payee_reference("bench-account");
          stub->PayApplication(&call->context, &call->pay, &call->paid, std::move(finished));
          return;
        }
        call->approve.set_request_id(absl::StrCat(run, "-approve-", id));
        call->approve.set_application_id(id);
        stub->ApproveApplication(&call->context, &call->approve, &call->approved, std::move(finished));
      });
  // Failed calls are not in the rate; the run script prints them beside it.
  if (figures.Errors() > 0) std::fputs(shouhu::bench::FiguresTable(figures).c_str(), stderr);
  std::printf("%s\n", shouhu::bench::JsonLine(mode, figures).c_str());
  return figures.Errors() == 0 ? 0 : 1;
}
