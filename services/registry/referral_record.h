// A referral as the registry holds it: the API's view of the referral plus the registered children it
// matched, each with where that child lies and whose case it is in. A reader is shown a match only when their
// own scope holds that child (registry_access.h ReferralView): the matches themselves never leave the service
// unfiltered, so a referral cannot be used to learn whether a resident id is registered elsewhere.
#ifndef SHOUHU_SERVICES_REGISTRY_REFERRAL_RECORD_H_
#define SHOUHU_SERVICES_REGISTRY_REFERRAL_RECORD_H_

#include <optional>
#include <string>
#include <vector>

#include "common/scope.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

struct ChildMatch {
  std::string child_id;
  std::string village_code;     // where the child is registered
  std::string organisation_id;  // whose case the child is in now; empty when not known

  RecordScope scope() const { return {village_code, organisation_id}; }
};

struct ReferralRecord {
  // Never carries linked_child_id or possible_duplicate_child_ids: those are the view's, per reader.
  v1::Referral referral;
  // The child registered under the same resident id, wherever they are.
  std::optional<ChildMatch> linked;
  // Children of the same village and birth date with a similar name, for the triager to judge.
  std::vector<ChildMatch> possible_duplicates;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_REFERRAL_RECORD_H_
