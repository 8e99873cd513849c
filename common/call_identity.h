// Who an outgoing call to another service speaks as. A call made for a caller carries that caller's
// principal exactly as it arrived (the gateway's bytes, signature and key id), so the other service scopes
// it and writes its access log for the person, not for the service in between. A call a service makes for
// itself (an event consumer, a periodic job) carries the service's own system principal, signed with its
// own key. Clients of other services take a CallIdentity and apply it to each call they make.
#ifndef SHOUHU_COMMON_CALL_IDENTITY_H_
#define SHOUHU_COMMON_CALL_IDENTITY_H_

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/principal.h"

namespace shouhu {

// Adds the identity's metadata to one outgoing call.
using CallIdentity = std::function<void(grpc::ClientContext&)>;

// The caller of `incoming`, forwarded as received. Copies the metadata at once, so the identity may outlive
// the incoming call's context. When the caller sent no principal, calls go without one and are refused.
// Also shortens the outgoing call's deadline to the caller's, when that comes first.
CallIdentity ForCaller(const grpc::ServerContextBase& incoming);

// This service speaking for itself: {subject: "service:<name>", roles: [SYSTEM]}, signed afresh for each call
// so it never expires under a long-running job.
class ServiceIdentity {
 public:
  // `jurisdictions`: the division prefixes the service's own work covers, for services that scope SYSTEM
  // calls (none by default).
  ServiceIdentity(const std::string& service, SigningKey key, const Clock& clock,
                  std::vector<std::string> jurisdictions = {});

  void Attach(grpc::ClientContext& context) const;
  // Attach as a CallIdentity; this object must outlive the calls made with it.
  CallIdentity ForSelf() const;
  const Principal& principal() const { return principal_; }

 private:
  Principal principal_;
  PrincipalSigner signer_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_CALL_IDENTITY_H_
