// Roster import throughput, durable, through the gateway: the real shouhu-registry and shouhu-gateway
// (RunningStack) against the MariaDB the `roster_import` script started, and shouhu-admin's own client
// streaming `--rows` generated Wuding children in chunks of `--chunk_rows` over `--streams` concurrent
// imports (each its own slice of the rows and its own import id). Prints children/s; the script prints
// sysbench oltp_insert on the same server beside it. Not part of ctest.
#include <grpcpp/create_channel.h>

#include <cstdio>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "deploy/admin/roster_commands.h"
#include "tests/e2e/running_stack.h"
#include "tests/support/roster_fixture_rows.h"

ABSL_FLAG(int, rows, 50000, "children to import");
ABSL_FLAG(int, chunk_rows, 500, "rows per chunk (one transaction each)");
ABSL_FLAG(int, streams, 1, "concurrent imports, each of rows/streams children");

namespace shouhu::testing {
namespace {

int Run() {
  const int rows = absl::GetFlag(FLAGS_rows), streams = std::max(1, absl::GetFlag(FLAGS_streams));
  StackOptions options;
  options.name = "rosterbench";
  options.rate_per_second = 10000000;
  options.rate_burst = 10000000;
  auto stack = RunningStack::Start(options);
  if (!WaitServing(stack->registry_target(), absl::Seconds(180)) ||
      !WaitServing(stack->gateway_target(), absl::Seconds(60))) {
    std::fprintf(stderr, "the stack did not start:\n%s\n%s\n", stack->Log("registry.log").c_str(),
                 stack->Log("gateway.log").c_str());
    return 1;
  }
  // The rows, as shouhu-admin holds them after reading a file.
  std::vector<admin::LoadedRoster> slices(streams);
  for (int s = 0; s < streams; ++s) {
    slices[s].file_hash = absl::StrCat("bench-", absl::ToUnixNanos(absl::Now()), "-", s);
    for (int n = 1 + s; n <= rows; n += streams) slices[s].parsed.rows.push_back(RosterRowNumber(n));
  }
  admin::RosterCallOptions call;
  call.token = stack->Token("bench-officer", "wuding-civil-affairs", "CIVIL_AFFAIRS_OFFICER", "532329");
  call.chunk_rows = absl::GetFlag(FLAGS_chunk_rows);
  call.deadline = absl::Hours(1);
  auto channel = grpc::CreateChannel(stack->gateway_target(), grpc::InsecureChannelCredentials());
  std::vector<absl::StatusOr<registry::v1::ImportRosterResponse>> answers(streams);
  const absl::Time started = absl::Now();
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      std::ostringstream quiet;
      answers[s] = admin::ImportRoster(channel, slices[s], call, s == 0 ? std::cerr : quiet);
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  int64_t created = 0;
  for (const auto& a : answers) {
    if (!a.ok()) {
      std::fprintf(stderr, "!!! import failed: %s\n", a.status().ToString().c_str());
      return 1;
    }
    created += a->created();
  }
  std::printf(
      "roster import through the gateway: %lld children in %.1f s = %.0f children/s "
      "(streams %d, chunk %d rows, durable commits)\n",
      static_cast<long long>(created), seconds, created / seconds, streams, call.chunk_rows);
  return created == rows ? 0 : 1;
}

}  // namespace
}  // namespace shouhu::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return shouhu::testing::Run();
}
