// shouhu-keygen: makes a process's Ed25519 key pair for signing principals (common/principal_keys.h), once.
//   shouhu-keygen --private_dir=.data/keys/private --trusted_dir=.data/keys/trusted --kid=visits-1
//     --signer=service:visits
// writes <private_dir>/<kid>.key (the seed, for that process's --signing_key_file, mode 0600) unless it
// exists, and (re)writes <trusted_dir>/<kid>.pub from it ("gateway <hex>" or "service:<name> <hex>"), the
// folder every process reads with --trusted_keys_dir. Running it again changes nothing.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "common/principal_keys.h"

ABSL_FLAG(std::string, private_dir, "", "folder of private keys (<kid>.key)");
ABSL_FLAG(std::string, trusted_dir, "", "folder of trusted public keys (<kid>.pub)");
ABSL_FLAG(std::string, kid, "", "key id, e.g. gateway-1 or visits-1");
ABSL_FLAG(std::string, signer, "", "gateway (may sign any principal) or service:<name> (only its own)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string private_dir = absl::GetFlag(FLAGS_private_dir);
  const std::string trusted_dir = absl::GetFlag(FLAGS_trusted_dir);
  const std::string kid = absl::GetFlag(FLAGS_kid);
  const std::string signer = absl::GetFlag(FLAGS_signer);
  const bool gateway = signer == "gateway";
  if (private_dir.empty() || trusted_dir.empty() || kid.empty() ||
      !(gateway || (absl::StartsWith(signer, "service:") && signer.size() > 8))) {
    std::cerr << "usage: shouhu-keygen --private_dir=DIR --trusted_dir=DIR --kid=ID "
                 "--signer=gateway|service:<name>\n";
    return 2;
  }
  std::filesystem::create_directories(private_dir);
  std::filesystem::create_directories(trusted_dir);
  const std::string key_file = private_dir + "/" + kid + ".key";
  if (!std::filesystem::exists(key_file)) {
    auto fresh = shouhu::SigningKey::Generate(kid);
    if (!fresh.ok()) {
      std::cerr << fresh.status().message() << "\n";
      return 2;
    }
    const mode_t old_mask = umask(077);
    std::ofstream(key_file) << shouhu::SigningKeyFileText(*fresh);
    umask(old_mask);
  }
  auto key = shouhu::ReadSigningKey(key_file);
  if (!key.ok()) {
    std::cerr << key.status().message() << "\n";
    return 2;
  }
  const shouhu::TrustedKey trusted =
      gateway ? shouhu::GatewayKey(*key) : shouhu::ServiceKey(*key, signer.substr(sizeof("service:") - 1));
  std::ofstream(trusted_dir + "/" + kid + ".pub") << shouhu::TrustedKeyFileText(trusted);
  std::cout << key_file << "\n";
  return 0;
}
