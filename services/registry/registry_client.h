// What other services ask the registry — visits: the child and case exist, are active, and where the
// household lives; allowance: the child is active and in the program's categories and jurisdiction — behind
// an interface, so their tests can stand up the real registry on a TestServer or use a fake
// (tests/support/fake_registry_client.h). Every call says whom it speaks for (CallIdentity): for a caller,
// the registry scopes the answer and writes the PII access log as that caller.
#ifndef SHOUHU_SERVICES_REGISTRY_REGISTRY_CLIENT_H_
#define SHOUHU_SERVICES_REGISTRY_REGISTRY_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/call_identity.h"
#include "common/service_channel.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"

namespace shouhu::registry {

class RegistryClient {
 public:
  virtual ~RegistryClient() = default;

  // NOT_FOUND also when the case lies outside the scope of whom `as` speaks for.
  // `purpose` is kept in the registry's access log, as GetChild's.
  virtual absl::StatusOr<v1::Case> GetCase(const CallIdentity& as, const std::string& case_id,
                                           const std::string& purpose) const = 0;
  // `purpose`: why the child's personal data is read, recorded in the registry's access log.
  virtual absl::StatusOr<v1::Child> GetChild(const CallIdentity& as, const std::string& child_id,
                                             const std::string& purpose) const = 0;
  // Logs a read of children's data the calling service keeps itself (RegistryService.RecordAccess), as the
  // service (`as` its own identity); OK once the log holds it.
  virtual absl::Status RecordAccess(const CallIdentity& as, const v1::RecordAccessRequest& read) const = 0;
};

// Over the process's one channel to the registry. The calls are retried on UNAVAILABLE (a log record sent
// twice says the read twice: better than not at all).
class GrpcRegistryClient final : public RegistryClient {
 public:
  // `channel` must outlive the client.
  explicit GrpcRegistryClient(const ServiceChannel& channel)
      : channel_(channel), stub_(v1::RegistryService::NewStub(channel.channel())) {}

  absl::StatusOr<v1::Case> GetCase(const CallIdentity& as, const std::string& case_id,
                                   const std::string& purpose) const override;
  absl::StatusOr<v1::Child> GetChild(const CallIdentity& as, const std::string& child_id,
                                     const std::string& purpose) const override;
  absl::Status RecordAccess(const CallIdentity& as, const v1::RecordAccessRequest& read) const override;

 private:
  const ServiceChannel& channel_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REGISTRY_CLIENT_H_
