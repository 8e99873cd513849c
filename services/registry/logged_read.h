// A read of a child's data leaves only once the PII access log holds it (DESIGN.md). The log commits with
// group commit on its own writer (access_log_writer.h), so a read that waited for it on its call worker held
// that worker idle for the commit's fsync: with every worker waiting, the pool served nobody (issue 14:
// GetChild at 64 callers ran at a tenth of the no-SQL call before it stopped waiting). LoggedRead hands the
// rows to the log and lets the log's answering thread finish the call.
#ifndef SHOUHU_SERVICES_REGISTRY_LOGGED_READ_H_
#define SHOUHU_SERVICES_REGISTRY_LOGGED_READ_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/call_workers.h"
#include "common/edge.h"
#include "common/principal.h"
#include "services/registry/access_log_entries.h"
#include "services/registry/registry_store.h"

namespace shouhu::registry {

// One record `p` was shown, as the log keeps it.
inline AccessRecord Access(const Principal& p, std::string type, std::string id, std::string village,
                           std::string fields, std::string purpose, const char* method,
                           std::string consent_id = "") {
  return {p.subject(),       p.organisation_id(), std::move(type), std::move(id),        std::move(village),
          std::move(fields), std::move(purpose),  method,          std::move(consent_id)};
}

// What a read showed, as the log keeps it, or why it showed nothing.
using ShownRecords = absl::StatusOr<std::vector<AccessRecord>>;

// A unary read whose answer waits for its log: `body` (on a call worker) checks the request, reads, fills
// the answer and returns the records it showed; they commit on the log's writer, whose answering thread then
// finishes the call. If the log cannot be written the read fails, and gRPC sends no message with an error
// status. A read that showed nothing is answered at once; a caller who gave up during the read is shown
// nothing and not logged.
template <typename Body>
grpc::ServerUnaryReactor* LoggedRead(ServiceEdge& edge, RegistryStore& store,
                                     grpc::CallbackServerContext* ctx, absl::string_view method, Body body) {
  return edge.UnaryThen(
      ctx, method, [ctx, &store, body = std::move(body)](const Principal& p, CallWorkers::Finish finish) {
        ShownRecords shown = body(p);
        if (!shown.ok()) return finish(shown.status());
        if (CallerGaveUp(*ctx)) return finish(absl::CancelledError(kGaveUpMessage));
        store.RecordAccessThen(*std::move(shown), std::move(finish));
      });
}

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_LOGGED_READ_H_
