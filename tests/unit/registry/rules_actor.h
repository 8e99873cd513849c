// Who acts in the registry's rule tests: Wuding's civil-affairs officer, at a fixed instant.
#ifndef SHOUHU_TESTS_UNIT_REGISTRY_RULES_ACTOR_H_
#define SHOUHU_TESTS_UNIT_REGISTRY_RULES_ACTOR_H_

#include "absl/time/time.h"
#include "common/idempotency.h"

namespace shouhu::registry::testing {

inline const Actor kActor{"officer-1", "wuding-civil-affairs", absl::FromUnixSeconds(1'790'000'000)};

}  // namespace shouhu::registry::testing

#endif  // SHOUHU_TESTS_UNIT_REGISTRY_RULES_ACTOR_H_
