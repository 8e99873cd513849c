// Duplicate detection for referrals: the same resident id is the same child (linked); without one, the same
// birth date and village and a similar name make a likely duplicate, only flagged for the triager: nothing is
// merged on its strength. The store reads the candidates (one statement for a whole batch of referrals) and
// these rules judge them.
#ifndef SHOUHU_SERVICES_REGISTRY_DUPLICATES_H_
#define SHOUHU_SERVICES_REGISTRY_DUPLICATES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/registry/referral_record.h"

namespace shouhu::registry {

// A registered child born on the referral's birth date in its village, as the duplicate check reads it.
struct DuplicateCandidate {
  ChildMatch match;
  std::string name;
};

// At most this many candidates of one village and birth date, the first in id order, are compared with a
// referral's name: a bound on what one referral costs, far above any real village's births on one day.
inline constexpr size_t kMaxDuplicateCandidates = 50;

// Names are similar when, compared character by character (Chinese names are 2–4 characters), at most one
// character is substituted, inserted or dropped: 张小明 ~ 张晓明, 李娜 ~ 李娜娜.
bool SimilarNames(absl::string_view a, absl::string_view b);

// The likely duplicates of a child named `name` among `candidates` (children of the referral's village and
// birth date in id order): the first kMaxDuplicateCandidates are compared, those with a similar name kept,
// in order.
std::vector<ChildMatch> PossibleDuplicates(absl::string_view name,
                                           const std::vector<DuplicateCandidate>& candidates);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_DUPLICATES_H_
