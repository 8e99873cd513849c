// The three-node Galera cluster tests/cluster/galera/fast_test (or run) started on loopback, as the C++ tests
// see it: each node's connection settings, its wsrep counters, and kill -9 / restart of a node through
// deploy/lib/galera (the same functions the scripts use). The cluster's folder is SHOUHU_GALERA_DIR.
#ifndef SHOUHU_TESTS_CLUSTER_GALERA_GALERA_NODES_H_
#define SHOUHU_TESTS_CLUSTER_GALERA_GALERA_NODES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config.h"

namespace shouhu::testing {

class GaleraNodes {
 public:
  // From SHOUHU_GALERA_DIR; FAILED_PRECONDITION when it is not set (not a cluster run).
  static absl::StatusOr<GaleraNodes> FromEnvironment();

  int size() const { return size_; }
  // Node `i` (1-based), connecting to `database` (may be empty).
  DbConfig Node(int i, const std::string& database) const;
  // A global status counter of node `i` (SHOW GLOBAL STATUS), e.g. wsrep_local_cert_failures.
  absl::StatusOr<int64_t> Counter(int i, const std::string& name) const;
  // kill -9: no shutdown, the others see it vanish.
  absl::Status Kill(int i) const;
  // Restarts node `i` into the cluster and returns once it is Synced in a cluster of size() again.
  absl::Status Restart(int i) const;

 private:
  GaleraNodes(std::string dir, int size) : dir_(std::move(dir)), size_(size) {}
  absl::Status RunLibrary(const std::string& call) const;

  std::string dir_;
  int size_;
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_CLUSTER_GALERA_GALERA_NODES_H_
