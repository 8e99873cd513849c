#include "tests/support/fake_registry_client.h"

#include "absl/strings/str_cat.h"

namespace shouhu::testing {

void FakeRegistryClient::PutCase(registry::v1::Case c) {
  absl::MutexLock lock(&mu_);
  cases_[c.case_id()] = std::move(c);
}

void FakeRegistryClient::PutChild(registry::v1::Child child) {
  absl::MutexLock lock(&mu_);
  children_[child.child_id()] = std::move(child);
}

void FakeRegistryClient::FailWith(absl::Status status) {
  absl::MutexLock lock(&mu_);
  failure_ = std::move(status);
}

std::vector<std::string> FakeRegistryClient::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

absl::StatusOr<registry::v1::Case> FakeRegistryClient::GetCase(const CallIdentity&,
                                                               const std::string& case_id,
                                                               const std::string& purpose) const {
  absl::MutexLock lock(&mu_);
  calls_.push_back(absl::StrCat("GetCase ", case_id, " ", purpose));
  if (!failure_.ok()) return failure_;
  auto it = cases_.find(case_id);
  if (it == cases_.end()) return absl::NotFoundError("case not found");
  return it->second;
}

absl::StatusOr<registry::v1::Child> FakeRegistryClient::GetChild(const CallIdentity&,
                                                                 const std::string& child_id,
                                                                 const std::string& purpose) const {
  absl::MutexLock lock(&mu_);
  calls_.push_back(absl::StrCat("GetChild ", child_id, " ", purpose));
  if (!failure_.ok()) return failure_;
  auto it = children_.find(child_id);
  if (it == children_.end()) return absl::NotFoundError("child not found");
  return it->second;
}

absl::Status FakeRegistryClient::RecordAccess(const CallIdentity&,
                                              const registry::v1::RecordAccessRequest& read) const {
  absl::MutexLock lock(&mu_);
  calls_.push_back(absl::StrCat("RecordAccess ", read.method(), " ", read.purpose()));
  return failure_;
}

}  // namespace shouhu::testing
