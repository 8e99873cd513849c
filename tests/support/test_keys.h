// Fixed Ed25519 keys for tests: the test gateway's, which may sign any principal, and one per service
// (registry, training, visits, allowance, gateway), which may sign only that service's system principal.
// TestTrustedKeys() trusts all of them, as a deployed service trusts the real ones.
#ifndef SHOUHU_TESTS_SUPPORT_TEST_KEYS_H_
#define SHOUHU_TESTS_SUPPORT_TEST_KEYS_H_

#include <string>

#include "common/principal_keys.h"

namespace shouhu::testing {

// Key id "test-gateway".
SigningKey TestGatewayKey();
// Key id "test-service-<service>".
SigningKey TestServiceKey(const std::string& service);
// The key named `key_id` whose seed is 32 bytes of `fill`: distinct fills, distinct keys.
SigningKey SeededKey(const std::string& key_id, char fill);
// A key nobody trusts that names itself `key_id` (by default the test gateway's): a forger's.
SigningKey ForgedKey(const std::string& key_id = "test-gateway");
// The gateway's key and every service's, marked as each may sign.
TrustedKeySet TestTrustedKeySet();
// A fixed TrustedKeys over TestTrustedKeySet(), for verifiers in tests. Never changes.
const TrustedKeys& TestTrustedKeys();
// Writes each key of `keys` as <dir>/<kid>.pub (the folder a process reads with --trusted_keys_dir).
void WriteTrustedKeys(const TrustedKeySet& keys, const std::string& dir);
// Writes <dir>/<kid>.key and returns its path (for --signing_key_file).
std::string WriteSigningKey(const SigningKey& key, const std::string& dir);

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_TEST_KEYS_H_
