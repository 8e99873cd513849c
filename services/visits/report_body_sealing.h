// Seals the content of visit reports written before it was sealed (visits migration 0021), once, in the
// background of a starting visits service: batches in id order, each its own short transaction, until none is
// left. Reads meanwhile open either form, so the service serves from the start. Replicas starting together
// each walk the table; a row another one holds is waited for and then found sealed (its body is NULL), so
// every report is sealed once. A failure (the database away) is logged and retried; the walk resumes at its
// cursor.
#ifndef SHOUHU_SERVICES_VISITS_REPORT_BODY_SEALING_H_
#define SHOUHU_SERVICES_VISITS_REPORT_BODY_SEALING_H_

#include <cstdint>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "services/visits/field_visit_store.h"

namespace shouhu::visits {

class ReportBodySealing {
 public:
  // Starts walking at once on a thread of its own.
  ReportBodySealing(MariaDbFieldVisitStore& store, Logger& logger,
                    absl::Duration retry_after = absl::Seconds(10), int64_t batch = 200);
  // Stops the walk (between batches) and waits for it.
  ~ReportBodySealing();
  ReportBodySealing(const ReportBodySealing&) = delete;
  ReportBodySealing& operator=(const ReportBodySealing&) = delete;

  // Blocks until the walk has found nothing left to seal (or stopped); true when it finished.
  bool AwaitFinished(absl::Duration timeout);

 private:
  void Walk();
  bool Stopping() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; }
  bool FinishedOrStopping() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return finished_ || stopping_; }

  MariaDbFieldVisitStore& store_;
  Logger& logger_;
  const absl::Duration retry_after_;
  const int64_t batch_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::thread walker_;  // last: started once everything it uses exists
};

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_REPORT_BODY_SEALING_H_
