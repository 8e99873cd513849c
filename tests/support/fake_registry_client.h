// A RegistryClient held in memory, for fast edge tests of services that call the registry: answers from the
// cases and children the test puts in, NOT_FOUND otherwise, or the error the test sets; records each call.
#ifndef SHOUHU_TESTS_SUPPORT_FAKE_REGISTRY_CLIENT_H_
#define SHOUHU_TESTS_SUPPORT_FAKE_REGISTRY_CLIENT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/registry/registry_client.h"

namespace shouhu::testing {

class FakeRegistryClient final : public registry::RegistryClient {
 public:
  void PutCase(registry::v1::Case c);
  void PutChild(registry::v1::Child child);
  // Every call answers `status` until it is set back to OK.
  void FailWith(absl::Status status);
  // "GetCase <id> <purpose>", "GetChild <id> <purpose>", in order.
  std::vector<std::string> calls() const;

  absl::StatusOr<registry::v1::Case> GetCase(const CallIdentity& as, const std::string& case_id,
                                             const std::string& purpose) const override;
  absl::StatusOr<registry::v1::Child> GetChild(const CallIdentity& as, const std::string& child_id,
                                               const std::string& purpose) const override;
  // "RecordAccess <method> <purpose>" for each.
  absl::Status RecordAccess(const CallIdentity& as,
                            const registry::v1::RecordAccessRequest& read) const override;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, registry::v1::Case> cases_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, registry::v1::Child> children_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace shouhu::testing

#endif  // SHOUHU_TESTS_SUPPORT_FAKE_REGISTRY_CLIENT_H_
