// Pagination as every list method does it (Google API design guide): page_size 0 means the default, at most
// kMaxPageSize; the page token is the id of the last record of the previous page, since ids sort stably.
#ifndef SHOUHU_COMMON_PAGING_H_
#define SHOUHU_COMMON_PAGING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shouhu {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

struct PageRequest {
  std::string after_id;  // empty: from the start
  int limit = kDefaultPageSize;
};

// INVALID_ARGUMENT on page_size (negative) or page_token (not a token this service issued: not an id).
absl::StatusOr<PageRequest> ReadPageRequest(int page_size, absl::string_view page_token);

// The limit alone, for lists whose token is not a record id (division codes).
absl::StatusOr<int> ReadPageSize(int page_size);

// The token of the next page: the last item's id when the page came back full, else empty.
template <typename T, typename IdOf>
std::string NextPageToken(const std::vector<T>& items, int limit, IdOf id_of) {
  return !items.empty() && static_cast<int>(items.size()) == limit ? std::string(id_of(items.back()))
                                                                   : std::string();
}

}  // namespace shouhu

#endif  // SHOUHU_COMMON_PAGING_H_
