// A test on the three-node Galera cluster (galera_nodes.h): a fresh database of its own, created on node 1
// and seen by every node before the test starts, dropped after it; pools on any node, and reads that wait
// for a node to apply what another node committed.
#ifndef SHOUHU_TESTS_CLUSTER_GALERA_GALERA_FIXTURE_H_
#define SHOUHU_TESTS_CLUSTER_GALERA_GALERA_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db.h"
#include "common/migrations.h"
#include "tests/cluster/galera/galera_nodes.h"

namespace shouhu::testing {

class GaleraTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<db::Pool> PoolOn(int node, int size = 4);
  // Common's migrations and then `service`'s, applied through node 1, as a service's first replica would.
  absl::Status MigrateOnNode1(const std::vector<db::Migration>& service);
  // The first column of `query`'s first row on node `node`; an error while its replication has not caught up
  // yet (the database may not even exist there yet).
  absl::StatusOr<int64_t> TryCountOn(int node, const std::string& query);
  int64_t CountOn(int node, const std::string& query);
  // Galera applies another node's commit a moment after it returned there: polls until node `node` answers
  // `expected` (at most 10 s) and returns its last answer.
  int64_t EventuallyOn(int node, const std::string& query, int64_t expected);
  // Certification failures and brute-force aborts, summed over the nodes since they started.
  int64_t CertificationConflicts();

  std::unique_ptr<GaleraNodes> nodes_;
  std::string database_;
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_CLUSTER_GALERA_GALERA_FIXTURE_H_
