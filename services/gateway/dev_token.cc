// shouhu-gateway-token: the local development token issuer. Signs an ES256 (P-256 key) or RS256 (RSA key)
// JWT with a private key file, for the demo stack and first calls only — production tokens come from the
// region's identity provider.
//   shouhu-gateway-token --key=.data/gateway/dev-issuer.key --kid=dev-1 --sub=officer-1 --org=org-1
//     --roles=CIVIL_AFFAIRS_OFFICER --jurisdictions=530102
#include <jwt.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::string, key, "", "private key PEM file (P-256 → ES256, RSA → RS256)");
ABSL_FLAG(std::string, kid, "dev-1", "key id the gateway knows the public key by");
ABSL_FLAG(std::string, issuer, "https://idp.local.shouhu", "iss");
ABSL_FLAG(std::string, audience, "shouhu-gateway", "aud");
ABSL_FLAG(std::string, sub, "", "subject");
ABSL_FLAG(std::string, org, "", "organisation id");
ABSL_FLAG(std::string, roles, "", "comma-separated roles, e.g. CIVIL_AFFAIRS_OFFICER,AUDITOR");
ABSL_FLAG(std::string, jurisdictions, "", "comma-separated division-code prefixes");
ABSL_FLAG(int, ttl_seconds, 3600, "lifetime");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::ifstream in(absl::GetFlag(FLAGS_key));
  if (!in || absl::GetFlag(FLAGS_sub).empty()) {
    std::cerr
        << "usage: shouhu-gateway-token --key=FILE --sub=SUBJECT [--org --roles --jurisdictions --kid]\n";
    return 2;
  }
  std::stringstream pem;
  pem << in.rdbuf();
  const std::string key = pem.str();
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  nlohmann::json claims = {{"iss", absl::GetFlag(FLAGS_issuer)},
                           {"aud", absl::GetFlag(FLAGS_audience)},
                           {"sub", absl::GetFlag(FLAGS_sub)},
                           {"org", absl::GetFlag(FLAGS_org)},
                           {"iat", now},
                           {"nbf", now},
                           {"exp", now + absl::GetFlag(FLAGS_ttl_seconds)}};
  claims["roles"] =
      std::vector<std::string>(absl::StrSplit(absl::GetFlag(FLAGS_roles), ',', absl::SkipEmpty()));
  claims["jurisdictions"] =
      std::vector<std::string>(absl::StrSplit(absl::GetFlag(FLAGS_jurisdictions), ',', absl::SkipEmpty()));
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims.dump().c_str());
  jwt_add_header(jwt, "kid", absl::GetFlag(FLAGS_kid).c_str());
  const bool rsa = key.find("RSA") != std::string::npos || key.size() > 1000;
  if (jwt_set_alg(jwt, rsa ? JWT_ALG_RS256 : JWT_ALG_ES256,
                  reinterpret_cast<const unsigned char*>(key.data()), static_cast<int>(key.size())) != 0) {
    std::cerr << "cannot use the key\n";
    return 1;
  }
  char* token = jwt_encode_str(jwt);
  if (token == nullptr) {
    std::cerr << "cannot sign with the key\n";
    return 1;
  }
  std::cout << token << "\n";
  free(token);
  jwt_free(jwt);
  return 0;
}
