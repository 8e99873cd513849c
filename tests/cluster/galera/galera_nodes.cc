#include "tests/cluster/galera/galera_nodes.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/db.h"
#include "common/status_macros.h"

namespace shouhu::testing {

absl::StatusOr<GaleraNodes> GaleraNodes::FromEnvironment() {
  const std::string dir = EnvOr("SHOUHU_GALERA_DIR", "");
  if (dir.empty()) return absl::FailedPreconditionError("SHOUHU_GALERA_DIR is not set: not a cluster run");
  std::ifstream nodes(dir + "/nodes");
  int size = 0;
  if (!(nodes >> size) || size < 2) return absl::FailedPreconditionError("no cluster in SHOUHU_GALERA_DIR");
  return GaleraNodes(dir, size);
}

DbConfig GaleraNodes::Node(int i, const std::string& database) const {
  DbConfig config;
  config.socket = absl::StrCat(dir_, "/node-", i, "/mysqld.sock");
  config.user = "root";
  config.database = database;
  config.connect_timeout = absl::Seconds(2);
  return config;
}

absl::StatusOr<int64_t> GaleraNodes::Counter(int i, const std::string& name) const {
  DbConfig config = Node(i, "mysql");
  config.pool_size = 1;
  ASSIGN_OR_RETURN(std::unique_ptr<db::Pool> pool, db::Pool::Open(config));
  int64_t value = 0;
  RETURN_IF_ERROR(pool->Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     session.QueryOne("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                                      " WHERE VARIABLE_NAME = ?",
                                      {absl::AsciiStrToUpper(name)}));
    if (!row || !absl::SimpleAtoi(row->String(0), &value)) {
      return absl::NotFoundError(absl::StrCat("no status counter ", name));
    }
    return absl::OkStatus();
  }));
  return value;
}

absl::Status GaleraNodes::RunLibrary(const std::string& call) const {
  // The directory and node number are ours (a mktemp folder, an int): nothing from outside is quoted here.
  const std::string command = absl::StrCat("bash -c 'source \"", SHOUHU_GALERA_LIB, "\" && ", call, "' >>\"",
                                           dir_, "/test-calls.log\" 2>&1");
  const int rc = std::system(command.c_str());
  if (rc != 0) return absl::InternalError(absl::StrCat(call, " failed; see ", dir_, "/test-calls.log"));
  return absl::OkStatus();
}

absl::Status GaleraNodes::Kill(int i) const {
  return RunLibrary(absl::StrCat("galera_node_kill \"", dir_, "\" ", i));
}

absl::Status GaleraNodes::Restart(int i) const {
  return RunLibrary(absl::StrCat("galera_node_start \"", dir_, "\" ", i));
}

}  // namespace shouhu::testing
