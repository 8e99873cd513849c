// Where a call came from (caller_address.h): the address alone in the forms the two faces and the proxies'
// headers give it, and the caller a trusted proxy names, never one named by anyone else.
#include "services/gateway/caller_address.h"

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"

namespace shouhu::gateway {
namespace {

TEST(CallerAddress, TheFacesForms_TheAddressAlone) {
  EXPECT_EQ(CallerAddress("ipv4:10.0.0.7:51234"), "10.0.0.7");
  EXPECT_EQ(CallerAddress("ipv6:[2001:DB8::7]:51234"), "2001:db8::7");
  EXPECT_EQ(CallerAddress("ipv6:%5B::1%5D:51234"), "::1");
  EXPECT_EQ(CallerAddress("ipv6:[::ffff:10.0.0.7]:443"), "10.0.0.7");
  EXPECT_EQ(CallerAddress("10.0.0.7"), "10.0.0.7");                 // the HTTP server's
  EXPECT_EQ(CallerAddress("::ffff:192.168.1.20"), "192.168.1.20");  // a dual-stack listener's
  EXPECT_EQ(CallerAddress("2001:db8::1"), "2001:db8::1");
}

TEST(CallerAddress, NotANetworkAddress_Empty) {
  EXPECT_EQ(CallerAddress("unix:/run/shouhu/gateway.sock"), "");
  EXPECT_EQ(CallerAddress("inproc"), "");
  EXPECT_EQ(CallerAddress(""), "");
  EXPECT_EQ(CallerAddress("ipv4:10.0.0.7'; DROP TABLE audit_log; --:1"), "");
  EXPECT_EQ(CallerAddress("ipv6:2001:db8::7:51234"), "") << "no brackets";
}

TEST(ForwardingProxies, APeerAmongTheProxies_TheCallerItNames) {
  absl::StatusOr<ForwardingProxies> proxies =
      ForwardingProxies::Parse("10.244.0.0/16, fd00::/8", "forwarded_by");
  ASSERT_TRUE(proxies.ok()) << proxies.status();
  EXPECT_EQ(proxies->Resolve("ipv4:10.244.3.17:40112", "203.0.113.9", ""), "203.0.113.9");
  EXPECT_EQ(proxies->Resolve("10.244.3.17", "", "198.51.100.1, 203.0.113.9"), "203.0.113.9")
      << "the last X-Forwarded-For entry is the one the proxy added";
  EXPECT_EQ(proxies->Resolve("ipv6:[fd00::1]:443", "2001:db8::7", ""), "2001:db8::7");
  EXPECT_EQ(proxies->Resolve("ipv4:10.244.3.17:40112", "not an address", "also not"), "10.244.3.17")
      << "a proxy that names nobody is the caller as far as we know";
}

TEST(ForwardingProxies, APeerOutsideTheProxies_ItselfWhateverItsHeadersSay) {
  absl::StatusOr<ForwardingProxies> proxies = ForwardingProxies::Parse("10.244.0.0/16", "forwarded_by");
  ASSERT_TRUE(proxies.ok()) << proxies.status();
  EXPECT_EQ(proxies->Resolve("ipv4:10.245.0.1:40112", "203.0.113.9", "203.0.113.9"), "10.245.0.1");
  EXPECT_EQ(ForwardingProxies().Resolve("ipv4:127.0.0.1:5", "203.0.113.9", "203.0.113.9"), "127.0.0.1")
      << "none given: every peer is the caller";
  absl::StatusOr<ForwardingProxies> any = ForwardingProxies::Parse("0.0.0.0/0,::/0", "forwarded_by");
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(any->Resolve("ipv4:192.0.2.1:5", "203.0.113.9", ""), "203.0.113.9");
  absl::StatusOr<ForwardingProxies> narrow = ForwardingProxies::Parse("10.244.3.16/31", "forwarded_by");
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  EXPECT_EQ(narrow->Resolve("10.244.3.17", "203.0.113.9", ""), "203.0.113.9");
  EXPECT_EQ(narrow->Resolve("10.244.3.18", "203.0.113.9", ""), "10.244.3.18") << "outside the /31";
}

TEST(ForwardingProxies, NotACidrBlock_RefusedNamingTheSettingAndTheEntry) {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "fd00::/129", "ten/8", "10.0.0.0/8,/8", "10.0.0.0/x"}) {
    absl::StatusOr<ForwardingProxies> proxies = ForwardingProxies::Parse(bad, "forwarded_by");
    ASSERT_FALSE(proxies.ok()) << bad;
    EXPECT_EQ(proxies.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(proxies.status().message(), "--forwarded_by")) << proxies.status();
  }
  EXPECT_TRUE(ForwardingProxies::Parse("", "forwarded_by").ok());
}

}  // namespace
}  // namespace shouhu::gateway
