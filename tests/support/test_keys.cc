#include "tests/support/test_keys.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>

namespace shouhu::testing {
namespace {

SigningKey KeyFromName(const std::string& kid) {
  // The seed is a hash of the key id: fixed across runs, different per key.
  EXPECT_GE(sodium_init(), 0);
  std::string seed(crypto_sign_SEEDBYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(seed.data()), seed.size(),
                     reinterpret_cast<const unsigned char*>(kid.data()), kid.size(), nullptr, 0);
  auto key = SigningKey::FromSeed(kid, seed);
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? *std::move(key) : SigningKey{};
}

}  // namespace

SigningKey TestGatewayKey() { return KeyFromName("test-gateway"); }

SigningKey TestServiceKey(const std::string& service) { return KeyFromName("test-service-" + service); }

SigningKey SeededKey(const std::string& key_id, char fill) {
  auto key = SigningKey::FromSeed(key_id, std::string(crypto_sign_SEEDBYTES, fill));
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? *std::move(key) : SigningKey{};
}

SigningKey ForgedKey(const std::string& key_id) { return SeededKey(key_id, 'x'); }

TrustedKeySet TestTrustedKeySet() {
  TrustedKeySet keys;
  const SigningKey gateway = TestGatewayKey();
  keys[gateway.key_id] = GatewayKey(gateway);
  for (const std::string service : {"registry", "training", "visits", "allowance", "gateway"}) {
    const SigningKey key = TestServiceKey(service);
    keys[key.key_id] = ServiceKey(key, service);
  }
  return keys;
}

const TrustedKeys& TestTrustedKeys() {
  static const TrustedKeys* const keys = new TrustedKeys(TestTrustedKeySet());
  return *keys;
}

void WriteTrustedKeys(const TrustedKeySet& keys, const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (const auto& [kid, key] : keys) std::ofstream(dir + "/" + kid + ".pub") << TrustedKeyFileText(key);
}

std::string WriteSigningKey(const SigningKey& key, const std::string& dir) {
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + key.key_id + ".key";
  std::ofstream(path) << SigningKeyFileText(key);
  return path;
}

}  // namespace shouhu::testing
