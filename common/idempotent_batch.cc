#include "common/idempotent_batch.h"

#include <utility>

#include "common/status_macros.h"

namespace shouhu {

absl::StatusOr<std::vector<size_t>> SortOutRetries(
    db::Session& tx, const std::vector<const IdempotencyKey*>& keys, BatchKeys& seen,
    const std::function<void(size_t, absl::StatusOr<std::string>)>& recorded) {
  ASSIGN_OR_RETURN(std::vector<std::optional<RecordedAnswer>> records, FindRecordedAnswers(tx, keys));
  std::vector<size_t> live;
  live.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (records[i]) {
      recorded(i, ReplayRecorded(*keys[i], *records[i]));
    } else if (seen.emplace(keys[i]->method, keys[i]->caller, keys[i]->request_id).second) {
      live.push_back(i);
    }
  }
  return live;
}

}  // namespace shouhu
