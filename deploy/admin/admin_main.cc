// shouhu-admin: operators' commands against the gateway.
//   shouhu-admin import roster FILE.csv [--county=532329] [--rejected=FILE.rejected.csv]
//   shouhu-admin drift roster FILE.csv [--county=532329] [--purpose="annual roster check"]
//   shouhu-admin allowance standard --program=ID --from=2027-01 --amount_fen=150000 --reason="the notice"
//       [--kind=orphan|de_facto_unsupported]
//   shouhu-admin allowance arrears --program=ID --reason="the notice"
// The caller's token comes from --token or SHOUHU_TOKEN (deploy/local/up writes a county officer's into
// .data/gateway/officer-token.env); the gateway from --gateway (default the local stack's 127.0.0.1:50050),
// over TLS unless it is this machine (gateway_channel.h), trusting --ca_cert's roots (the region's CA) or
// the system's.
// Re-running an import with the same file resumes it: the import id is the file's SHA-256; re-running a
// standard resumes it too (each enrolment's request id is made from the command's arguments), and re-running
// arrears claims only what no claim holds yet.

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "deploy/admin/allowance_commands.h"
#include "deploy/admin/gateway_channel.h"
#include "deploy/admin/roster_commands.h"

ABSL_FLAG(std::string, gateway, "127.0.0.1:50050", "the gateway's gRPC address");
ABSL_FLAG(std::string, ca_cert, "",
          "PEM file of the CA that issued the gateway's certificate (default: the system's roots); TLS is "
          "used to any gateway not on this machine, and with this flag to one that is");
ABSL_FLAG(std::string, token, "", "bearer token (default: $SHOUHU_TOKEN)");
ABSL_FLAG(std::string, county, "", "the roster's 6-digit county code (default: the first row's)");
ABSL_FLAG(std::string, rejected, "", "where to write the rejected rows (default: FILE.rejected.csv)");
ABSL_FLAG(std::string, purpose, "roster drift check",
          "drift: why the county's children are read (access log)");
ABSL_FLAG(int, chunk_rows, 500, "rows per chunk (each chunk is one transaction)");
ABSL_FLAG(std::string, program, "", "allowance standard and arrears: the program's id");
ABSL_FLAG(std::string, from, "", "allowance standard: the first month at the new amount (YYYY-MM)");
ABSL_FLAG(int64_t, amount_fen, 0, "allowance standard: the monthly amount from then on, in fen");
ABSL_FLAG(std::string, reason, "", "allowance standard and arrears: why (the province's notice)");
ABSL_FLAG(std::string, kind, "",
          "allowance standard: only the enrolments of this allowance, orphan or de_facto_unsupported "
          "(default: every enrolment of the program)");

namespace {

using shouhu::admin::LoadedRoster;
using shouhu::admin::RosterCallOptions;
namespace v1 = shouhu::registry::v1;

int Usage() {
  std::cerr
      << "usage: shouhu-admin import roster FILE.csv [--county=CODE] [--rejected=FILE]\n"
         "       shouhu-admin drift roster FILE.csv [--county=CODE] [--purpose=TEXT]\n"
         "       shouhu-admin allowance standard --program=ID --from=YYYY-MM --amount_fen=N --reason=TEXT\n"
         "                                       [--kind=orphan|de_facto_unsupported]\n"
         "       shouhu-admin allowance arrears --program=ID --reason=TEXT\n"
         "       (--gateway=HOST:PORT [--ca_cert=CA.pem], --token=T or SHOUHU_TOKEN)\n";
  return 2;
}

int Fail(const absl::Status& status) {
  std::cerr << "shouhu-admin: " << status << "\n";
  return 1;
}

std::string Categories(const google::protobuf::RepeatedField<int>& values) {
  std::vector<std::string> names;
  for (int v : values) names.push_back(v1::ChildCategory_Name(static_cast<v1::ChildCategory>(v)));
  return absl::StrJoin(names, "+");
}

std::string Statuses(const google::protobuf::RepeatedField<int>& values) {
  std::vector<std::string> names;
  for (int v : values) names.push_back(v1::GuardianStatus_Name(static_cast<v1::GuardianStatus>(v)));
  return absl::StrJoin(names, "+");
}

int WriteRejected(const std::string& file, const LoadedRoster& roster,
                  const google::protobuf::RepeatedPtrField<v1::RowRejection>& rejections) {
  if (rejections.empty()) return 0;
  std::string path = absl::GetFlag(FLAGS_rejected);
  if (path.empty()) path = file + ".rejected.csv";
  std::ofstream out(path, std::ios::binary);
  out << shouhu::admin::RejectedRowsCsv(roster, rejections);
  if (!out) return Fail(absl::InternalError(absl::StrCat("cannot write ", path)));
  std::cout << "rejected rows with reasons: " << path << "\n";
  return 0;
}

// A call's context: the caller's token and a deadline.
shouhu::admin::NewCallContext ContextWith(const std::string& token) {
  return [token] {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  };
}

// Every open monthly enrolment of the program at the new standard from the month on.
int MonthlyStandard(const std::shared_ptr<grpc::Channel>& channel, const std::string& token) {
  shouhu::admin::MonthlyStandard standard;
  standard.program_id = absl::GetFlag(FLAGS_program);
  standard.amount_fen = absl::GetFlag(FLAGS_amount_fen);
  standard.reason = absl::GetFlag(FLAGS_reason);
  if (standard.program_id.empty() || standard.amount_fen <= 0 || standard.reason.empty() ||
      !absl::ParseCivilTime(absl::GetFlag(FLAGS_from), &standard.from)) {
    std::cerr << "shouhu-admin: allowance standard needs --program, --from (YYYY-MM), --amount_fen (> 0) and "
                 "--reason\n";
    return 2;
  }
  const std::string kind = absl::GetFlag(FLAGS_kind);
  if (kind == "orphan") {
    standard.kind = shouhu::allowance::v1::LIVING_ALLOWANCE_KIND_ORPHAN;
  } else if (kind == "de_facto_unsupported") {
    standard.kind = shouhu::allowance::v1::LIVING_ALLOWANCE_KIND_DE_FACTO_UNSUPPORTED;
  } else if (!kind.empty()) {
    std::cerr << "shouhu-admin: --kind is orphan or de_facto_unsupported, not \"" << kind << "\"\n";
    return 2;
  }
  auto stub = shouhu::allowance::v1::AllowanceService::NewStub(channel);
  absl::StatusOr<shouhu::admin::MonthlyStandardResult> result =
      shouhu::admin::ApplyMonthlyStandard(*stub, ContextWith(token), standard, std::cerr);
  if (!result.ok()) return Fail(result.status());
  if (!kind.empty()) {
    std::cout << "program " << standard.program_id << ", the " << kind
              << " allowance only: " << result->other_kind
              << " enrolments of another kind left as they were\n";
  }
  std::cout << "program " << standard.program_id << ": " << result->enrolments << " open monthly enrolments, "
            << result->changed << " at " << standard.amount_fen << " fen from "
            << absl::FormatCivilTime(standard.from) << ", " << result->approved_at_it
            << " approved at it already, " << result->refused.size() << " refused; " << result->closed
            << " closed (withdrawn or cancelled): " << result->closed_raised
            << " raised over the months they were paid, " << result->closed_left << " left as they were\n";
  for (const auto& [enrolment, why] : result->refused)
    std::cout << "  " << enrolment << ": " << why.message() << "\n";
  if (result->months_within_year_cap < 12) {
    std::cout << "warning: the program's cap per child and year holds " << result->months_within_year_cap
              << " months at the new amount (see above)\n";
  }
  return result->refused.empty() ? 0 : 1;
}

// The months the program's enrolments were paid short of a raised amount, claimed for each.
int MonthlyArrears(const std::shared_ptr<grpc::Channel>& channel, const std::string& token) {
  shouhu::admin::ProgramArrears arrears;
  arrears.program_id = absl::GetFlag(FLAGS_program);
  arrears.reason = absl::GetFlag(FLAGS_reason);
  arrears.run_id = absl::StrCat(absl::ToUnixNanos(absl::Now()));
  if (arrears.program_id.empty() || arrears.reason.empty()) {
    std::cerr << "shouhu-admin: allowance arrears needs --program and --reason\n";
    return 2;
  }
  auto stub = shouhu::allowance::v1::AllowanceService::NewStub(channel);
  absl::StatusOr<shouhu::admin::ProgramArrearsResult> result =
      shouhu::admin::ClaimProgramArrears(*stub, ContextWith(token), arrears, std::cerr);
  if (!result.ok()) return Fail(result.status());
  std::cout << "program " << arrears.program_id << ": " << result->enrolments << " monthly enrolments, "
            << result->claimed << " arrears applications submitted (" << result->claimed_fen << " fen), "
            << result->nothing_owed << " owed nothing, " << result->refused.size() << " refused";
  if (result->left_owed > 0)
    std::cout << "; " << result->left_owed << " left months past the cap per payment";
  std::cout << "\n";
  for (const auto& [enrolment, why] : result->refused)
    std::cout << "  " << enrolment << ": " << why.message() << "\n";
  if (result->claimed > 0) std::cout << "each application waits for a checker's approval, then its payment\n";
  return result->refused.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const bool allowance = args.size() == 3 && std::string(args[1]) == "allowance";
  if (allowance && std::string(args[2]) != "standard" && std::string(args[2]) != "arrears") return Usage();
  if (!allowance && (args.size() != 4 || std::string(args[2]) != "roster")) return Usage();
  RosterCallOptions options;
  options.token = absl::GetFlag(FLAGS_token);
  if (options.token.empty() && std::getenv("SHOUHU_TOKEN") != nullptr)
    options.token = std::getenv("SHOUHU_TOKEN");
  if (options.token.empty()) {
    std::cerr << "shouhu-admin: no token (--token or SHOUHU_TOKEN)\n";
    return 2;
  }
  if (allowance) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> connected =
        shouhu::admin::GatewayChannel({absl::GetFlag(FLAGS_gateway), absl::GetFlag(FLAGS_ca_cert)});
    if (!connected.ok()) return Fail(connected.status());
    return std::string(args[2]) == "standard" ? MonthlyStandard(*connected, options.token)
                                              : MonthlyArrears(*connected, options.token);
  }
  const std::string command = args[1], file = args[3];
  if (command != "import" && command != "drift") return Usage();

  options.county_code = absl::GetFlag(FLAGS_county);
  options.chunk_rows = absl::GetFlag(FLAGS_chunk_rows);
  options.purpose = absl::GetFlag(FLAGS_purpose);

  absl::StatusOr<LoadedRoster> roster = shouhu::admin::LoadRosterFile(file);
  if (!roster.ok()) return Fail(roster.status());
  std::cerr << file << ": " << (roster->encoding == shouhu::admin::Encoding::kGb18030 ? "GB18030" : "UTF-8")
            << ", " << roster->parsed.rows.size() + roster->parsed.rejections.size() << " rows\n";
  absl::StatusOr<std::shared_ptr<grpc::Channel>> connected =
      shouhu::admin::GatewayChannel({absl::GetFlag(FLAGS_gateway), absl::GetFlag(FLAGS_ca_cert)});
  if (!connected.ok()) return Fail(connected.status());
  const std::shared_ptr<grpc::Channel> channel = *std::move(connected);

  if (command == "import") {
    absl::StatusOr<v1::ImportRosterResponse> answer =
        shouhu::admin::ImportRoster(channel, *roster, options, std::cerr);
    if (!answer.ok()) {
      std::cerr << "the import stopped; re-run the same command with the same file to resume.\n";
      return Fail(answer.status());
    }
    std::cout << "import " << roster->file_hash.substr(0, 12) << ": " << answer->rows() << " rows, "
              << answer->created() << " children registered, " << answer->matched() << " already registered, "
              << answer->rejected() << " rejected\n";
    return WriteRejected(file, *roster, answer->rejections());
  }

  absl::StatusOr<v1::CompareRosterResponse> drift =
      shouhu::admin::CompareRoster(channel, *roster, options, std::cerr);
  if (!drift.ok()) return Fail(drift.status());
  std::cout << "roster rows: " << drift->rows() << ", matched: " << drift->matched() << "\n";
  std::cout << "in the roster, not in the registry (" << drift->missing_from_registry_size() << "):\n";
  for (int64_t row : drift->missing_from_registry()) std::cout << "  row " << row << "\n";
  std::cout << "in the registry, not in the roster (" << drift->missing_from_roster_size() << "):\n";
  for (const auto& id : drift->missing_from_roster()) std::cout << "  child " << id << "\n";
  std::cout << "different category or guardian status (" << drift->differences_size() << "):\n";
  for (const auto& d : drift->differences()) {
    std::cout << "  row " << d.row_number() << " child " << d.child_id() << ": categories "
              << Categories(d.roster_categories()) << " (roster) / " << Categories(d.registry_categories())
              << " (registry); guardians " << Statuses(d.roster_guardian_statuses()) << " / "
              << Statuses(d.registry_guardian_statuses()) << "\n";
  }
  return WriteRejected(file, *roster, drift->rejections());
}
