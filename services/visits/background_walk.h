// A walk over a table in the background of a starting visits service, for work left by an older version:
// batches in key order, each its own short transaction (the step's), until a batch comes back short. The
// service serves meanwhile. Replicas starting together each walk; a step must leave a row another replica
// changed as it found it (each row's change is idempotent). A failure (the database away) is logged and
// retried after `retry_after`; the walk resumes at its cursor. Two walks today:
//   - the sealing of report contents written before they were sealed (visits migration 0021);
//   - the plans of cases whose completed visits were reported before a report moved the plan (0032).
#ifndef SHOUHU_SERVICES_VISITS_BACKGROUND_WALK_H_
#define SHOUHU_SERVICES_VISITS_BACKGROUND_WALK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log.h"

namespace shouhu::visits {

// One batch: at most `limit` rows after `cursor` (moved past them); returns the rows it walked, fewer than
// `limit` at the end.
using WalkStep = std::function<absl::StatusOr<int64_t>(std::string& cursor, int64_t limit)>;

class BackgroundWalk {
 public:
  // Starts walking at once on a thread of its own. `what` names the walk in the log ("seal older visit
  // reports").
  BackgroundWalk(std::string what, WalkStep step, Logger& logger,
                 absl::Duration retry_after = absl::Seconds(10), int64_t batch = 200);
  // Stops the walk (between batches) and waits for it.
  ~BackgroundWalk();
  BackgroundWalk(const BackgroundWalk&) = delete;
  BackgroundWalk& operator=(const BackgroundWalk&) = delete;

  // Blocks until the walk has reached the end (or stopped); true when it reached the end.
  bool AwaitFinished(absl::Duration timeout);

 private:
  void Walk();
  bool Stopping() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; }
  bool FinishedOrStopping() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return finished_ || stopping_; }

  const std::string what_;
  const WalkStep step_;
  Logger& logger_;
  const absl::Duration retry_after_;
  const int64_t batch_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::thread walker_;  // last: started once everything it uses exists
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_BACKGROUND_WALK_H_
