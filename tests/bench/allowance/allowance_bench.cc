// Load program for the allowance service's money path: starts nothing, talks gRPC to --target. Modes:
//   approve  ApproveApplication of applications --first .. --first+--count-1 (each once: reserves budget)
//   pay      PayApplication of the same range (each once: a payment row, a ledger entry, the balance row)
// with --concurrency client threads (tests/bench/support/load_driver), printing throughput and latency
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
#include "common/clock.h"
#include "common/config.h"
#include "common/principal.h"
#include "shouhu/allowance/v1/allowance_service.grpc.pb.h"
#include "tests/bench/support/load_driver.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50053", "the allowance service");
ABSL_FLAG(std::string, mode, "approve", "approve or pay");
ABSL_FLAG(int, concurrency, 16, "client threads");
ABSL_FLAG(int, first, 1, "the first application number");
ABSL_FLAG(int, count, 2000, "applications in all");
ABSL_FLAG(std::string, run, "r", "distinguishes request ids between runs");

namespace {

namespace v1 = shouhu::allowance::v1;

std::string ApplicationId(int64_t n) { return absl::StrFormat("01BENCHA%018d", n); }

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
  const std::string run = absl::GetFlag(FLAGS_run);
  const int64_t first = absl::GetFlag(FLAGS_first);
  shouhu::bench::LoadOptions options;
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.requests = absl::GetFlag(FLAGS_count);

  // One channel per client thread, so the client is not the bottleneck of a single HTTP/2 connection.
  std::vector<std::unique_ptr<v1::AllowanceService::Stub>> stubs;
  for (int t = 0; t < options.concurrency; ++t) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", t);  // distinct subchannels
    stubs.push_back(v1::AllowanceService::NewStub(
        grpc::CreateCustomChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args)));
  }
  const shouhu::bench::LoadFigures figures =
      shouhu::bench::RunLoad(options, {mode}, [&](int t, int64_t n, shouhu::bench::CallLog& log) {
        const std::string id = ApplicationId(first + n);
        grpc::ClientContext context;
        signer.Attach(principal, context);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        log.Timed(0, [&] {
          if (mode == "pay") {
            v1::PayApplicationRequest request;
            request.set_request_id(absl::StrCat(run, "-pay-", id));
            request.set_application_id(id);
            request.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
            request.set_payee_reference("bench-account");
            v1::PayApplicationResponse response;
            return stubs[t]->PayApplication(&context, request, &response);
          }
          v1::ApproveApplicationRequest request;
          request.set_request_id(absl::StrCat(run, "-approve-", id));
          request.set_application_id(id);
          v1::ApproveApplicationResponse response;
          return stubs[t]->ApproveApplication(&context, request, &response);
        });
      });
  // Failed calls are not in the rate; the run script prints them beside it.
  if (figures.Errors() > 0) std::fputs(shouhu::bench::FiguresTable(figures).c_str(), stderr);
  std::printf("%s\n", shouhu::bench::JsonLine(mode, figures).c_str());
  return figures.Errors() == 0 ? 0 : 1;
}
