// Likely-duplicate detection for referrals without a matching resident id: the same birth date and village
// and a similar name. Only flags for the triager; nothing is merged on its strength.
#ifndef SHOUHU_SERVICES_REGISTRY_DUPLICATES_H_
#define SHOUHU_SERVICES_REGISTRY_DUPLICATES_H_

#include "absl/strings/string_view.h"

namespace shouhu::registry {

// Names are similar when, compared character by character (Chinese names are 2–4 characters), at most one
// character is substituted, inserted or dropped: 张小明 ~ 张晓明, 李娜 ~ 李娜娜.
bool SimilarNames(absl::string_view a, absl::string_view b);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_DUPLICATES_H_
