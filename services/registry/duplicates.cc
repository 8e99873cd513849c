#include "services/registry/duplicates.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"

namespace shouhu::registry {
namespace {

// Splits UTF-8 into code points (as strings); input was validated as UTF-8 at the edge. ASCII is lower-cased
// and spaces dropped, so "Li Na" and "li na" compare equal.
std::vector<std::string> Characters(absl::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    const size_t n = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : 4;
    std::string ch(text.substr(i, n));
    i += n;
    if (ch == " ") continue;
    if (ch.size() == 1) ch[0] = absl::ascii_tolower(ch[0]);
    out.push_back(std::move(ch));
  }
  return out;
}

}  // namespace

bool SimilarNames(absl::string_view a, absl::string_view b) {
  const auto x = Characters(a), y = Characters(b);
  if (x.empty() || y.empty()) return false;
  // Levenshtein distance over characters, stopped early: we only need to know whether it is at most 1.
  const size_t n = x.size(), m = y.size();
  if ((n > m ? n - m : m - n) > 1) return false;
  std::vector<size_t> previous(m + 1), current(m + 1);
  for (size_t j = 0; j <= m; ++j) previous[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    current[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      current[j] =
          std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)});
    }
    std::swap(previous, current);
  }
  return previous[m] <= 1;
}

std::vector<ChildMatch> PossibleDuplicates(absl::string_view name,
                                           const std::vector<DuplicateCandidate>& candidates) {
  std::vector<ChildMatch> matches;
  const size_t compared = std::min(candidates.size(), kMaxDuplicateCandidates);
  for (size_t i = 0; i < compared; ++i) {
    if (SimilarNames(candidates[i].name, name)) matches.push_back(candidates[i].match);
  }
  return matches;
}

}  // namespace shouhu::registry
