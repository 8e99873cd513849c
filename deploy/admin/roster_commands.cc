#include "deploy/admin/roster_commands.h"

#include <grpcpp/client_context.h>
#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "deploy/admin/progress_bar.h"

namespace shouhu::admin {
namespace {

namespace v1 = registry::v1;

std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::unique_ptr<grpc::ClientContext> CallContext(const RosterCallOptions& options) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + options.token);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(options.deadline)));
  return context;
}

absl::StatusOr<v1::RosterHeader> Header(const LoadedRoster& roster, const RosterCallOptions& options) {
  v1::RosterHeader header;
  header.set_import_id(roster.file_hash);
  std::string county = options.county_code;
  if (county.empty() && !roster.parsed.rows.empty()) {
    county = roster.parsed.rows.front().household().village_code().substr(0, 6);
  }
  if (county.empty()) return absl::InvalidArgumentError("county: give --county (no row names a village)");
  header.set_county_code(county);
  header.set_purpose(options.purpose);
  return header;
}

// Sends the header and then chunks [first_chunk, end_chunk) of the rows (chunk k holds rows
// (k-1)*chunk_rows …) over `writer`, advancing `bar`; false when the stream broke (Finish then says why) or
// the test's cancellation point was reached.
template <typename Request, typename Writer>
bool SendRoster(Writer& writer, grpc::ClientContext& context, const v1::RosterHeader& header,
                const LoadedRoster& roster, const RosterCallOptions& options, int64_t first_chunk,
                int64_t end_chunk, ProgressBar& bar) {
  Request first;
  *first.mutable_header() = header;
  if (!writer.Write(first)) return false;
  const auto& rows = roster.parsed.rows;
  const int64_t total = static_cast<int64_t>(rows.size());
  const int64_t per_chunk = std::max(1, options.chunk_rows);
  for (int64_t chunk_number = first_chunk; chunk_number < end_chunk; ++chunk_number) {
    Request message;
    v1::RosterChunk& chunk = *message.mutable_chunk();
    chunk.set_chunk_number(chunk_number);
    const int64_t begin = (chunk_number - 1) * per_chunk, end = std::min(total, begin + per_chunk);
    for (int64_t i = begin; i < end; ++i) *chunk.add_rows() = rows[i];
    if (!writer.Write(message)) return false;
    bar.Update(end);
    if (options.cancel_after_chunks > 0 && chunk_number >= options.cancel_after_chunks) {
      context.TryCancel();
      return false;
    }
  }
  return writer.WritesDone();
}

int64_t ChunkCount(const LoadedRoster& roster, const RosterCallOptions& options) {
  const int64_t per_chunk = std::max(1, options.chunk_rows);
  return (static_cast<int64_t>(roster.parsed.rows.size()) + per_chunk - 1) / per_chunk;
}

void MergeLocalRejections(const LoadedRoster& roster,
                          google::protobuf::RepeatedPtrField<v1::RowRejection>& rejections) {
  for (const auto& r : roster.parsed.rejections) *rejections.Add() = r;
  std::stable_sort(
      rejections.begin(), rejections.end(),
      [](const v1::RowRejection& a, const v1::RowRejection& b) { return a.row_number() < b.row_number(); });
}

// Runs `call` (one whole call; OK or why not) until it succeeds, fails for good, or options.retries more
// attempts have failed transiently, saying on `progress` what is sent again and when.
template <typename Call>
grpc::Status WithRetries(const RosterCallOptions& options, std::ostream& progress, const std::string& what,
                         Call call) {
  absl::Duration wait = options.first_retry_wait;
  for (int attempt = 0;; ++attempt) {
    grpc::Status status = call();
    if (!MaySendAgain(status) || attempt >= options.retries) return status;
    progress << "\n"
             << what << ": " << FromGrpcStatus(status).ToString() << "; sending again in "
             << absl::FormatDuration(wait) << " (retry " << attempt + 1 << " of " << options.retries << ")\n";
    absl::SleepFor(wait);
    wait = std::min(wait * 2, absl::Seconds(30));
  }
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

absl::StatusOr<LoadedRoster> LoadRoster(const std::string& bytes) {
  LoadedRoster roster;
  roster.file_hash = Sha256Hex(bytes);
  absl::StatusOr<DecodedText> decoded = DecodeRosterFile(bytes);
  if (!decoded.ok()) return decoded.status();
  roster.encoding = decoded->encoding;
  absl::StatusOr<std::vector<CsvRecord>> records = SplitCsv(decoded->utf8);
  if (!records.ok()) return records.status();
  roster.records = *std::move(records);
  absl::StatusOr<ParsedRoster> parsed = ParseRoster(roster.records);
  if (!parsed.ok()) return parsed.status();
  roster.parsed = *std::move(parsed);
  return roster;
}

absl::StatusOr<LoadedRoster> LoadRosterFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream bytes;
  bytes << in.rdbuf();
  return LoadRoster(bytes.str());
}

absl::StatusOr<v1::ImportRosterResponse> ImportRoster(const std::shared_ptr<grpc::Channel>& channel,
                                                      const LoadedRoster& roster,
                                                      const RosterCallOptions& options,
                                                      std::ostream& progress) {
  absl::StatusOr<v1::RosterHeader> header = Header(roster, options);
  if (!header.ok()) return header.status();
  auto stub = v1::RosterService::NewStub(channel);
  const int64_t chunks = ChunkCount(roster, options);
  const int64_t per_call = std::max(1, options.chunks_per_call);
  ProgressBar bar(progress, static_cast<int64_t>(roster.parsed.rows.size()), "rows");
  v1::ImportRosterResponse total;
  // One call per `chunks_per_call` chunks, each well inside the gateway's deadline cap; the chunks' numbers
  // run on across calls, so the calls are one import (the same mechanism resumes an interrupted one).
  for (int64_t first = 1; first <= chunks; first += per_call) {
    const int64_t end = std::min(chunks + 1, first + per_call);
    v1::ImportRosterResponse answer;
    const grpc::Status status =
        WithRetries(options, progress, absl::StrCat("chunks ", first, "-", end - 1, " of ", chunks), [&] {
          auto context = CallContext(options);
          answer.Clear();
          auto writer = stub->ImportRoster(context.get(), &answer);
          SendRoster<v1::ImportRosterRequest>(*writer, *context, *header, roster, options, first, end, bar);
          return writer->Finish();
        });
    if (!status.ok()) {
      bar.Finish(std::min<int64_t>(roster.parsed.rows.size(), (first - 1) * std::max(1, options.chunk_rows)));
      return FromGrpcStatus(status);
    }
    total.set_chunks(total.chunks() + answer.chunks());
    total.set_rows(total.rows() + answer.rows());
    total.set_created(total.created() + answer.created());
    total.set_matched(total.matched() + answer.matched());
    total.set_rejected(total.rejected() + answer.rejected());
    for (auto& r : *answer.mutable_rejections()) *total.add_rejections() = std::move(r);
  }
  bar.Finish(static_cast<int64_t>(roster.parsed.rows.size()));
  total.set_rows(total.rows() + static_cast<int64_t>(roster.parsed.rejections.size()));
  total.set_rejected(total.rejected() + static_cast<int64_t>(roster.parsed.rejections.size()));
  MergeLocalRejections(roster, *total.mutable_rejections());
  return total;
}

absl::StatusOr<v1::CompareRosterResponse> CompareRoster(const std::shared_ptr<grpc::Channel>& channel,
                                                        const LoadedRoster& roster,
                                                        const RosterCallOptions& options,
                                                        std::ostream& progress) {
  absl::StatusOr<v1::RosterHeader> header = Header(roster, options);
  if (!header.ok()) return header.status();
  header->clear_import_id();
  auto stub = v1::RosterService::NewStub(channel);
  v1::CompareRosterResponse answer;
  ProgressBar bar(progress, static_cast<int64_t>(roster.parsed.rows.size()), "rows");
  // The comparison needs the whole export in one call; it writes nothing but the access log, so a call that
  // failed on the way is simply made again.
  const grpc::Status status = WithRetries(options, progress, "the comparison", [&] {
    auto context = CallContext(options);
    answer.Clear();
    auto writer = stub->CompareRoster(context.get(), &answer);
    SendRoster<v1::CompareRosterRequest>(*writer, *context, *header, roster, options, 1,
                                         ChunkCount(roster, options) + 1, bar);
    return writer->Finish();
  });
  bar.Finish(static_cast<int64_t>(roster.parsed.rows.size()));
  if (!status.ok()) return FromGrpcStatus(status);
  answer.set_rows(answer.rows() + static_cast<int64_t>(roster.parsed.rejections.size()));
  MergeLocalRejections(roster, *answer.mutable_rejections());
  return answer;
}

std::string RejectedRowsCsv(const LoadedRoster& roster,
                            const google::protobuf::RepeatedPtrField<v1::RowRejection>& rejections) {
  std::string out = "\xEF\xBB\xBF";
  std::vector<std::string> header;
  if (!roster.records.empty()) {
    for (const auto& f : roster.records[0].fields) header.push_back(CsvField(f));
  }
  for (const char* extra : {"row_number", "field", "reason"}) header.push_back(extra);
  absl::StrAppend(&out, absl::StrJoin(header, ","), "\n");
  for (const auto& r : rejections) {
    std::vector<std::string> fields;
    const int64_t index = r.row_number();
    if (index >= 1 && index < static_cast<int64_t>(roster.records.size())) {
      for (const auto& f : roster.records[index].fields) fields.push_back(CsvField(f));
    }
    if (!roster.records.empty()) fields.resize(roster.records[0].fields.size());
    fields.push_back(absl::StrCat(index));
    fields.push_back(CsvField(r.field()));
    fields.push_back(CsvField(r.reason()));
    absl::StrAppend(&out, absl::StrJoin(fields, ","), "\n");
  }
  return out;
}

}  // namespace shouhu::admin
