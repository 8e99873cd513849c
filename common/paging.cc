#include "common/paging.h"

#include <algorithm>

#include "common/ids.h"
#include "common/status_macros.h"

namespace shouhu {

absl::StatusOr<int> ReadPageSize(int page_size) {
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  return page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
}

absl::StatusOr<PageRequest> ReadPageRequest(int page_size, absl::string_view page_token) {
  ASSIGN_OR_RETURN(int limit, ReadPageSize(page_size));
  if (!page_token.empty() && !IsWellFormedId(page_token)) {
    return InvalidField("page_token", "is not a token this service issued");
  }
  return PageRequest{std::string(page_token), limit};
}

}  // namespace shouhu
