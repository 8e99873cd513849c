// How the scale loader and mix call the gateway: bearer tokens the scripts mint into a file (name=token per
// line, tests/bench/scale/stack), several channels so one HTTP/2 connection's ordering is not what is
// measured, and a unary call with the token and a deadline. Also the data set's files, written by the loader
// and read by the mix.
#ifndef SHOUHU_TESTS_BENCH_SCALE_GATEWAY_CLIENT_H_
#define SHOUHU_TESTS_BENCH_SCALE_GATEWAY_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/grpc_status.h"
#include "tests/bench/support/load_driver.h"

namespace shouhu::bench {

// name=token lines; empty when the file cannot be read.
inline std::map<std::string, std::string> ReadTokens(const std::string& path) {
  std::map<std::string, std::string> tokens;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) tokens[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return tokens;
}

// `count` channels to `target`, connected (tests/bench/support/load_driver.h); a program that cannot connect
// stops here rather than count every call of its run as failed.
inline std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& target, int count) {
  auto channels = ConnectedChannels(target, count, /*max_receive_bytes=*/64 << 20);
  if (!channels.ok()) {
    std::fprintf(stderr, "%s\n", std::string(channels.status().message()).c_str());
    std::exit(2);
  }
  return *std::move(channels);
}

// A unary call as `token`'s bearer through the gateway.
template <typename Stub, typename Request, typename Response>
grpc::Status CallAs(Stub& stub, grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                    const std::string& token, const Request& request, Response* response,
                    absl::Duration deadline = absl::Seconds(30)) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  context.set_wait_for_ready(true);
  return (stub.*rpc)(&context, request, response);
}

// The loader's calls: one the link or a service could not finish (MaySendAgain, common/grpc_status.h) is made
// again as it was, up to five times over about half a minute; every write carries its request id (or import
// id), so a repeat changes nothing. Never the mix's, which counts what fails.
template <typename Stub, typename Request, typename Response>
grpc::Status LoadCallAs(Stub& stub,
                        grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                        const std::string& token, const Request& request, Response* response,
                        absl::Duration deadline = absl::Seconds(30)) {
  absl::Duration wait = absl::Seconds(1);
  for (int attempt = 0;; ++attempt) {
    grpc::Status status = CallAs(stub, rpc, token, request, response, deadline);
    if (attempt == 5 || !MaySendAgain(status)) return status;
    absl::SleepFor(wait);
    wait *= 2;
  }
}

// A tab-separated file of the data set (children.tsv, programs.tsv, …), one record a line.
inline std::vector<std::vector<std::string>> ReadRecords(const std::string& path) {
  std::vector<std::vector<std::string>> records;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) records.push_back(absl::StrSplit(line, '\t'));
  }
  return records;
}

}  // namespace shouhu::bench

#endif  // SHOUHU_TESTS_BENCH_SCALE_GATEWAY_CLIENT_H_
