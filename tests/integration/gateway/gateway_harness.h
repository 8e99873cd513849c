// What the gateway tests and benchmark stand up: keys made at test time, tokens minted with libjwt, a policy
// file, a migrated throwaway schema, the echo backend and the gateway itself, all on loopback.
#ifndef SHOUHU_TESTS_INTEGRATION_GATEWAY_GATEWAY_HARNESS_H_
#define SHOUHU_TESTS_INTEGRATION_GATEWAY_GATEWAY_HARNESS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/log.h"
#include "common/metrics.h"
#include "nlohmann/json.hpp"
#include "services/gateway/gateway.h"
#include "tests/integration/gateway/echo_backend.h"
#include "tests/support/test_database.h"
#include "tests/support/test_keys.h"

namespace shouhu::testing {

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};
KeyPair NewRsaKey();
KeyPair NewP256Key();

// A JWT signed with libjwt. `alg` "RS256", "ES256", "HS256" or "none"; `key` the private PEM or HMAC secret.
std::string MintToken(const std::string& alg, const std::string& kid, const std::string& key,
                      const nlohmann::json& claims);

inline constexpr char kIssuer[] = "https://idp.test.shouhu";
inline constexpr char kAudience[] = "shouhu-gateway";

// The test policy: the admin service for admins. (Echo's roles are in its proto: officers and caseworkers,
// Sleep for officers only.)
std::string TestPolicyJson();

struct HarnessOptions {
  gateway::RateLimit rate_limit{0, 0};  // off unless a test turns it on
  absl::Duration max_deadline = absl::Seconds(5);
  std::map<std::string, std::string> extra_routes;
  size_t http_max_body_bytes = 64 * 1024;
  int http_threads = 2;
  bool with_backend = true;
  // Changes the gateway's own connection settings (the test's pool keeps the real ones): a database that is
  // not there, or a proxy in front of it.
  std::function<void(DbConfig&)> gateway_db;
  int credential_workers = 2;
  absl::Duration api_client_recheck = absl::Seconds(2);
  std::string forwarded_by;  // --forwarded_by: proxies whose X-Real-IP names the caller
};

class GatewayHarness {
 public:
  static absl::StatusOr<std::unique_ptr<GatewayHarness>> Start(const HarnessOptions& options = {});
  ~GatewayHarness();

  // Claims of a Wuhua district (530102) civil-affairs officer, valid for ten minutes.
  nlohmann::json OfficerClaims() const;
  // A token with `claims` signed by the RSA key "rsa-1".
  std::string Token(const nlohmann::json& claims) const;
  std::string OfficerToken() const { return Token(OfficerClaims()); }

  const std::string& keys_dir() const { return keys_dir_; }
  std::string policy_file() const { return dir_ + "/policy.json"; }
  const KeyPair& rsa() const { return rsa_; }
  const KeyPair& ec() const { return ec_; }
  gateway::Gateway& gateway() { return *gateway_; }
  EchoBackend* backend() { return backend_.get(); }
  TestDatabase& db() { return *db_; }
  Metrics& metrics() { return *metrics_; }
  // Everything the gateway has logged so far (one JSON object per line).
  std::string LogText() const;
  std::string grpc_target() const { return "127.0.0.1:" + std::to_string(gateway_->grpc_port()); }
  int http_port() const { return gateway_->http_port(); }

 private:
  GatewayHarness() = default;
  std::string dir_;
  std::string keys_dir_;
  KeyPair rsa_;
  KeyPair ec_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<db::Pool> gateway_pool_;  // when HarnessOptions::gateway_db is set
  std::unique_ptr<EchoBackend> backend_;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<Metrics> metrics_;
  SystemClock clock_;
  std::unique_ptr<gateway::Gateway> gateway_;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};
// One HTTP/1.1 connection on loopback, kept open across requests, speaking raw bytes so tests can see and
// shape exactly what is on the wire (keep-alive, Expect: 100-continue, Connection: close).
class HttpConnection {
 public:
  explicit HttpConnection(int port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Write(const std::string& bytes);
  // The next response whose body has a Content-Length (a 100 Continue comes back with status 100 and no
  // body); status 0 when the connection failed or closed first. `head` receives the status line and headers.
  HttpResponse Read(std::string* head = nullptr);
  // True when the server has closed its side (read returns 0 within `wait`).
  bool ClosedByServer(absl::Duration wait);

 private:
  bool Fill();
  int fd_ = -1;
  std::string buffer_;
};

// "POST <path> HTTP/1.1" with a body and the given headers, as bytes.
std::string HttpPostRequest(const std::string& path, const std::string& body,
                            const std::map<std::string, std::string>& headers);

// A plain HTTP/1.1 POST on loopback (civetweb's client).
HttpResponse HttpPost(int port, const std::string& path, const std::string& body,
                      const std::map<std::string, std::string>& headers);

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_INTEGRATION_GATEWAY_GATEWAY_HARNESS_H_
