// A progress line on stderr for long commands: done/total, rate per second and the time left, redrawn in
// place at most a few times a second.
#ifndef SHOUHU_DEPLOY_ADMIN_PROGRESS_BAR_H_
#define SHOUHU_DEPLOY_ADMIN_PROGRESS_BAR_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/time/time.h"

namespace shouhu::admin {

class ProgressBar {
 public:
  ProgressBar(std::ostream& out, int64_t total, std::string unit);

  // Redraws when enough time has passed since the last draw (or `force`).
  void Update(int64_t done, bool force = false);
  // The final line, and a line break.
  void Finish(int64_t done);

  // What a line shows, for the tests: "[#####.....]  5,000/10,000 rows  2,500 rows/s  ETA 2s".
  static std::string Line(int64_t done, int64_t total, absl::Duration elapsed, const std::string& unit);

 private:
  std::ostream& out_;
  const int64_t total_;
  const std::string unit_;
  const absl::Time started_;
  absl::Time drawn_ = absl::InfinitePast();
};

}  // namespace shouhu::admin

#endif  // SHOUHU_DEPLOY_ADMIN_PROGRESS_BAR_H_
