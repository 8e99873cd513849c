// shouhu-admin's roster commands, as functions the binary and the tests call: load a roster file, stream it
// to the gateway's RosterService (import, or drift comparison) with a progress line, and write what was
// rejected next to the file.
#ifndef SHOUHU_DEPLOY_ADMIN_ROSTER_COMMANDS_H_
#define SHOUHU_DEPLOY_ADMIN_ROSTER_COMMANDS_H_

#include <grpcpp/channel.h>

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "deploy/admin/roster_csv.h"
#include "shouhu/registry/v1/roster_service.grpc.pb.h"

namespace shouhu::admin {

struct LoadedRoster {
  Encoding encoding = Encoding::kUtf8;
  // The SHA-256 of the file's bytes, hex: the import id, so re-running the same file resumes its import.
  std::string file_hash;
  std::vector<CsvRecord> records;  // [0] is the header
  ParsedRoster parsed;
};

absl::StatusOr<LoadedRoster> LoadRoster(const std::string& bytes);
absl::StatusOr<LoadedRoster> LoadRosterFile(const std::string& path);

struct RosterCallOptions {
  std::string token;        // the caller's bearer token (SHOUHU_TOKEN)
  std::string county_code;  // empty: the first row's village's county
  int chunk_rows = 500;
  // An import is sent as several calls of this many chunks (10,000 rows by default), each well inside the
  // gateway's deadline cap (SHOUHU_MAX_DEADLINE_MS, 30 s).
  int chunks_per_call = 20;
  std::string purpose = "roster drift check";  // drift: recorded in the access log
  absl::Duration deadline = absl::Hours(2);
  // For tests of resumption: stop (cancel the call) after sending this many chunks; 0 = send them all.
  int cancel_after_chunks = 0;
  // A call the network or the services could not finish (MaySendAgain, common/grpc_status.h: a gateway pod
  // restarting in a rolling deploy, a county office's link dropping, a service shedding load) is sent
  // again, whole, this many times, first after first_retry_wait and then twice as long each time (at most
  // 30 s): its chunks keep their numbers, so what the failed call committed is answered from the registry's
  // records and nothing is written twice. Any other error stops the command.
  int retries = 6;
  absl::Duration first_retry_wait = absl::Seconds(1);
};

// Streams the roster's rows to RosterService.ImportRoster, in calls of chunks_per_call chunks; `progress`
// gets the progress line. The answer's rejections include the rows the file itself could not give (unreadable
// sex, date, category…), sorted.
absl::StatusOr<registry::v1::ImportRosterResponse> ImportRoster(const std::shared_ptr<grpc::Channel>& channel,
                                                                const LoadedRoster& roster,
                                                                const RosterCallOptions& options,
                                                                std::ostream& progress);

absl::StatusOr<registry::v1::CompareRosterResponse> CompareRoster(
    const std::shared_ptr<grpc::Channel>& channel, const LoadedRoster& roster,
    const RosterCallOptions& options, std::ostream& progress);

// The rejected rows as CSV (UTF-8 with a byte-order mark, for spreadsheets): the file's own columns, then
// row_number, field and reason.
std::string RejectedRowsCsv(const LoadedRoster& roster,
                            const google::protobuf::RepeatedPtrField<registry::v1::RowRejection>& rejections);

}  // namespace shouhu::admin

#endif  // SHOUHU_DEPLOY_ADMIN_ROSTER_COMMANDS_H_
