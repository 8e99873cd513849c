#include "common/event_stream.h"

#include <optional>
#include <string>

#include "common/status_macros.h"

namespace shouhu {

absl::Status OpenEventStream(grpc::CallbackServerContext* context, int64_t after_sequence, EventFeed& feed,
                             const std::function<absl::Status()>& authorize) {
  RETURN_IF_ERROR(authorize());
  if (after_sequence < 0) return InvalidField("after_sequence", "must not be negative");
  if (std::optional<int64_t> last = feed.LastKnownSequence()) {
    context->AddInitialMetadata(kEventStreamLastSequenceMetadata, std::to_string(*last));
  }
  return absl::OkStatus();
}

}  // namespace shouhu
