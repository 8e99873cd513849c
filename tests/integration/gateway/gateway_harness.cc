#include "tests/integration/gateway/gateway_harness.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <jwt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/gateway/gateway_store.h"

namespace shouhu {
std::vector<db::Migration> GatewayMigrations();
}

namespace shouhu::testing {
namespace {

KeyPair PemsOf(EVP_PKEY* key) {
  KeyPair pair;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  pair.private_pem.assign(data, static_cast<size_t>(size));
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  size = BIO_get_mem_data(bio, &data);
  pair.public_pem.assign(data, static_cast<size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pair;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

KeyPair NewRsaKey() { return PemsOf(EVP_RSA_gen(2048)); }
KeyPair NewP256Key() { return PemsOf(EVP_EC_gen("P-256")); }

std::string MintToken(const std::string& alg, const std::string& kid, const std::string& key,
                      const nlohmann::json& claims) {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims.dump().c_str());
  if (!kid.empty()) jwt_add_header(jwt, "kid", kid.c_str());
  const jwt_alg_t algorithm = jwt_str_alg(alg.c_str());
  if (algorithm == JWT_ALG_NONE) {
    jwt_set_alg(jwt, JWT_ALG_NONE, nullptr, 0);
  } else {
    jwt_set_alg(jwt, algorithm, reinterpret_cast<const unsigned char*>(key.data()),
                static_cast<int>(key.size()));
  }
  char* encoded = jwt_encode_str(jwt);
  std::string token = encoded != nullptr ? encoded : "";
  free(encoded);
  jwt_free(jwt);
  return token;
}

std::string TestPolicyJson() {
  return R"({"rules": [
    {"methods": ["shouhu.gateway.v1.GatewayAdminService/*"], "roles": ["ADMIN"]}
  ]})";
}

absl::StatusOr<std::unique_ptr<GatewayHarness>> GatewayHarness::Start(const HarnessOptions& options) {
  std::unique_ptr<GatewayHarness> h(new GatewayHarness());
  char pattern[] = "/tmp/shouhu-gateway-test-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return absl::InternalError("mkdtemp failed");
  h->dir_ = pattern;
  h->keys_dir_ = h->dir_ + "/keys";
  std::filesystem::create_directories(h->keys_dir_);
  h->rsa_ = NewRsaKey();
  h->ec_ = NewP256Key();
  WriteFile(h->keys_dir_ + "/rsa-1.pem", h->rsa_.public_pem);
  WriteFile(h->keys_dir_ + "/ec-1.pem", h->ec_.public_pem);
  const std::string policy = h->dir_ + "/policy.json";
  WriteFile(policy, TestPolicyJson());

  ASSIGN_OR_RETURN(h->db_, TestDatabase::Create(GatewayMigrations()));
  std::map<std::string, std::string> routes = options.extra_routes;
  if (options.with_backend) {
    h->backend_ = EchoBackend::Start();
    if (h->backend_ == nullptr) return absl::InternalError("echo backend did not start");
    routes["echo"] = h->backend_->address();
  }
  h->log_file_ = std::tmpfile();
  if (h->log_file_ == nullptr) return absl::InternalError("tmpfile failed");
  h->logger_ = std::make_unique<Logger>("gateway-test", h->log_file_);
  h->metrics_ = std::make_unique<Metrics>("gateway");

  gateway::GatewayConfig config;
  config.service.server.grpc_address = "127.0.0.1:0";
  config.service.signing_key = TestGatewayKey();
  config.service.trusted_keys_dir = h->dir_ + "/trusted";
  WriteTrustedKeys(TestTrustedKeySet(), config.service.trusted_keys_dir);
  config.routes = routes;
  config.policy_file = policy;
  config.tokens.issuer = kIssuer;
  config.tokens.audience = kAudience;
  config.tokens.leeway = absl::Seconds(30);
  config.tokens.keys.keys_dir = h->keys_dir_;
  config.key_reload_interval = absl::Milliseconds(100);
  config.max_deadline = options.max_deadline;
  config.rate_limit = options.rate_limit;
  ASSIGN_OR_RETURN(config.forwarded_by,
                   gateway::ForwardingProxies::Parse(options.forwarded_by, "forwarded_by"));
  config.http.address = "127.0.0.1:0";
  config.http.threads = options.http_threads;
  config.http.max_body_bytes = options.http_max_body_bytes;
  config.api_client_cache_ttl = absl::Seconds(30);
  config.api_client_recheck = options.api_client_recheck;
  config.credential_workers = options.credential_workers;
  db::Pool* pool = &h->db_->pool();
  if (options.gateway_db) {
    DbConfig gateway_db = h->db_->config();
    options.gateway_db(gateway_db);
    ASSIGN_OR_RETURN(h->gateway_pool_, db::Pool::Open(gateway_db));
    pool = h->gateway_pool_.get();
  }
  ASSIGN_OR_RETURN(h->gateway_, gateway::Gateway::Start(
                                    config, *pool, *h->logger_, *h->metrics_, h->clock_,
                                    {"shouhu/echo/v1/echo.proto", "shouhu/gateway/v1/gateway_admin.proto"}));
  return h;
}

GatewayHarness::~GatewayHarness() {
  if (gateway_ != nullptr) gateway_->Shutdown(absl::ZeroDuration());
  gateway_.reset();
  gateway_pool_.reset();
  backend_.reset();
  if (log_file_ != nullptr) std::fclose(log_file_);
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

std::string GatewayHarness::LogText() const {
  std::string text;
  std::fflush(log_file_);
  std::FILE* in = std::fopen(absl::StrCat("/proc/self/fd/", fileno(log_file_)).c_str(), "r");
  if (in == nullptr) return text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) text.append(buffer, n);
  std::fclose(in);
  return text;
}

nlohmann::json GatewayHarness::OfficerClaims() const {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return {{"iss", kIssuer},
          {"aud", kAudience},
          {"sub", "officer-wuhua-1"},
          {"org", "org-wuhua-civil-affairs"},
          {"roles", {"CIVIL_AFFAIRS_OFFICER"}},
          {"jurisdictions", {"530102"}},
          {"iat", now},
          {"nbf", now - 5},
          {"exp", now + 600}};
}

std::string GatewayHarness::Token(const nlohmann::json& claims) const {
  return MintToken("RS256", "rsa-1", rsa_.private_pem, claims);
}

HttpResponse HttpPost(int port, const std::string& path, const std::string& body,
                      const std::map<std::string, std::string>& headers) {
  HttpResponse result;
  char error[256] = {};
  mg_connection* connection = mg_connect_client("127.0.0.1", port, 0, error, sizeof error);
  if (connection == nullptr) return result;
  std::string request =
      absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ", body.size(),
                   "\r\nContent-Type: application/json\r\nConnection: close\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&request, name, ": ", value, "\r\n");
  absl::StrAppend(&request, "\r\n", body);
  mg_write(connection, request.data(), request.size());
  if (mg_get_response(connection, error, sizeof error, 10000) >= 0) {
    const mg_response_info* info = mg_get_response_info(connection);
    result.status = info->status_code;
    for (int i = 0; i < info->num_headers; ++i) {
      if (std::string(info->http_headers[i].name) == "Content-Type")
        result.content_type = info->http_headers[i].value;
    }
    char chunk[4096];
    int n;
    while ((n = mg_read(connection, chunk, sizeof chunk)) > 0)
      result.body.append(chunk, static_cast<size_t>(n));
  }
  mg_close_connection(connection);
  return result;
}

HttpConnection::HttpConnection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // A server that never answers fails the test instead of hanging it.
  timeval timeout{10, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) close(fd_);
}

bool HttpConnection::Write(const std::string& bytes) {
  size_t done = 0;
  while (fd_ >= 0 && done < bytes.size()) {
    const ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return fd_ >= 0;
}

bool HttpConnection::Fill() {
  char chunk[8192];
  const ssize_t n = read(fd_, chunk, sizeof chunk);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

HttpResponse HttpConnection::Read(std::string* head) {
  HttpResponse result;
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (fd_ < 0 || !Fill()) return result;
  }
  const std::string headers = buffer_.substr(0, header_end);
  int status = 0;
  if (headers.size() < 12 || !absl::SimpleAtoi(headers.substr(9, 3), &status)) return result;
  size_t length = 0;
  const std::string lower = absl::AsciiStrToLower(headers);
  if (const size_t at = lower.find("\r\ncontent-length: "); at != std::string::npos) {
    const size_t from = at + 18;
    if (!absl::SimpleAtoi(headers.substr(from, headers.find("\r\n", from) - from), &length)) return result;
  } else if (status != 100) {
    return result;  // this client reads only sized bodies
  }
  while (buffer_.size() < header_end + 4 + length) {
    if (!Fill()) return result;
  }
  result.status = status;
  result.body = buffer_.substr(header_end + 4, length);
  if (const size_t at = lower.find("\r\ncontent-type: "); at != std::string::npos) {
    result.content_type = headers.substr(at + 16, headers.find("\r\n", at + 16) - at - 16);
  }
  if (head != nullptr) *head = headers;
  buffer_.erase(0, header_end + 4 + length);
  return result;
}

bool HttpConnection::ClosedByServer(absl::Duration wait) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(wait))) <= 0) return false;
  char byte;
  return read(fd_, &byte, 1) == 0;
}

std::string HttpPostRequest(const std::string& path, const std::string& body,
                            const std::map<std::string, std::string>& headers) {
  std::string request =
      absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ", body.size(),
                   "\r\nContent-Type: application/json\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&request, name, ": ", value, "\r\n");
  absl::StrAppend(&request, "\r\n", body);
  return request;
}

}  // namespace shouhu::testing
