// A RosterService of the admin tests' own, for shouhu-admin's client: it records what each call sent and
// fails the calls it is told to, after reading the whole stream (as a registry that committed the chunks and
// lost the answer on the way back); then it answers each call with the rows it was sent, all created.
#ifndef SHOUHU_TESTS_UNIT_ADMIN_ROSTER_SERVICE_FAKE_H_
#define SHOUHU_TESTS_UNIT_ADMIN_ROSTER_SERVICE_FAKE_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "deploy/admin/roster_commands.h"
#include "shouhu/registry/v1/roster_service.grpc.pb.h"
#include "tests/support/roster_fixture_rows.h"

namespace shouhu::admin {

// What one call sent.
struct SentCall {
  std::string import_id;
  std::vector<int64_t> chunk_numbers;
};

class FailingRosterService final : public registry::v1::RosterService::Service {
 public:
  // failures[n] answers the n-th call (from 0); calls past them succeed.
  explicit FailingRosterService(std::vector<grpc::Status> failures = {}) : failures_(std::move(failures)) {}

  grpc::Status ImportRoster(grpc::ServerContext*,
                            grpc::ServerReader<registry::v1::ImportRosterRequest>* reader,
                            registry::v1::ImportRosterResponse* answer) override {
    SentCall call;
    int64_t rows = 0;
    for (registry::v1::ImportRosterRequest message; reader->Read(&message);) {
      if (message.has_header()) call.import_id = message.header().import_id();
      if (message.has_chunk()) {
        call.chunk_numbers.push_back(message.chunk().chunk_number());
        rows += message.chunk().rows_size();
      }
    }
    answer->set_chunks(static_cast<int64_t>(call.chunk_numbers.size()));
    answer->set_rows(rows);
    answer->set_created(rows);
    return Answer(std::move(call));
  }

  grpc::Status CompareRoster(grpc::ServerContext*,
                             grpc::ServerReader<registry::v1::CompareRosterRequest>* reader,
                             registry::v1::CompareRosterResponse* answer) override {
    int64_t rows = 0;
    for (registry::v1::CompareRosterRequest message; reader->Read(&message);) {
      if (message.has_chunk()) rows += message.chunk().rows_size();
    }
    answer->set_rows(rows);
    return Answer({});
  }

  std::vector<SentCall> Calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  grpc::Status Answer(SentCall call) {
    absl::MutexLock lock(&mu_);
    calls_.push_back(std::move(call));
    return calls_.size() <= failures_.size() ? failures_[calls_.size() - 1] : grpc::Status::OK;
  }

  const std::vector<grpc::Status> failures_;
  absl::Mutex mu_;
  std::vector<SentCall> calls_ ABSL_GUARDED_BY(mu_);
};

// A roster of `children` distinct valid Wuding children, as shouhu-admin would have read it from a file.
inline LoadedRoster RosterOf(int children) {
  LoadedRoster roster;
  roster.file_hash = "test-roster";
  for (int n = 1; n <= children; ++n) roster.parsed.rows.push_back(testing::RosterRowNumber(n));
  return roster;
}

}  // namespace shouhu::admin

#endif  // SHOUHU_TESTS_UNIT_ADMIN_ROSTER_SERVICE_FAKE_H_
