#include "common/call_identity.h"

namespace shouhu {

CallIdentity ForCaller(const grpc::ServerContextBase& incoming) {
  const auto& metadata = incoming.client_metadata();
  std::vector<std::pair<std::string, std::string>> forwarded;
  for (const char* name : {kPrincipalMetadata, kPrincipalSignatureMetadata, kPrincipalKeyIdMetadata}) {
    // The receiving service insists on exactly one of each; pass on what came so it can judge.
    auto [first, last] = metadata.equal_range(name);
    for (auto it = first; it != last; ++it) {
      forwarded.emplace_back(name, std::string(it->second.data(), it->second.size()));
    }
  }
  // The caller stops waiting at its deadline: work done for it after that is wasted, so the outgoing call
  // ends there too when that is sooner than its own deadline.
  return [forwarded = std::move(forwarded), deadline = incoming.deadline()](grpc::ClientContext& context) {
    for (const auto& [name, value] : forwarded) context.AddMetadata(name, value);
    if (deadline < context.deadline()) context.set_deadline(deadline);
  };
}

ServiceIdentity::ServiceIdentity(const std::string& service, SigningKey key, const Clock& clock,
                                 std::vector<std::string> jurisdictions)
    : signer_(std::move(key), clock) {
  principal_.set_subject(ServiceSubject(service));
  principal_.add_roles(common::v1::ROLE_SYSTEM);
  for (std::string& j : jurisdictions) principal_.add_jurisdictions(std::move(j));
}

void ServiceIdentity::Attach(grpc::ClientContext& context) const { signer_.Attach(principal_, context); }

CallIdentity ServiceIdentity::ForSelf() const {
  return [this](grpc::ClientContext& context) { Attach(context); };
}

}  // namespace shouhu
