#include "deploy/admin/progress_bar.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace shouhu::admin {
namespace {

constexpr int kWidth = 30;

std::string Thousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Eta(absl::Duration left) {
  const int64_t s = absl::ToInt64Seconds(left);
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

}  // namespace

ProgressBar::ProgressBar(std::ostream& out, int64_t total, std::string unit)
    : out_(out), total_(total), unit_(std::move(unit)), started_(absl::Now()) {}

std::string ProgressBar::Line(int64_t done, int64_t total, absl::Duration elapsed, const std::string& unit) {
  const double fraction = total > 0 ? std::min(1.0, static_cast<double>(done) / total) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  const double seconds = absl::ToDoubleSeconds(elapsed);
  // Under a second in, the first chunk's rows over a few milliseconds say nothing about the rate.
  const double rate = seconds >= 1 ? done / seconds : 0;
  std::string line = absl::StrCat("[", std::string(filled, '#'), std::string(kWidth - filled, '.'), "] ",
                                  Thousands(done), "/", Thousands(total), " ", unit, "  ",
                                  Thousands(static_cast<int64_t>(rate)), " ", unit, "/s");
  if (rate > 0 && done < total) {
    absl::StrAppend(&line, "  ETA ", Eta(absl::Seconds((total - done) / rate)));
  }
  return line;
}

void ProgressBar::Update(int64_t done, bool force) {
  const absl::Time now = absl::Now();
  if (!force && now - drawn_ < absl::Milliseconds(200)) return;
  drawn_ = now;
  out_ << "\r" << Line(done, total_, now - started_, unit_) << "\x1b[K" << std::flush;
}

void ProgressBar::Finish(int64_t done) {
  Update(done, /*force=*/true);
  out_ << "\n";
}

}  // namespace shouhu::admin
