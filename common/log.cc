#include "common/log.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace shouhu {

void Logger::Info(absl::string_view message, const nlohmann::json& fields) { Write("info", message, fields); }
void Logger::Warn(absl::string_view message, const nlohmann::json& fields) { Write("warn", message, fields); }
void Logger::Error(absl::string_view message, const nlohmann::json& fields) {
  Write("error", message, fields);
}

void Logger::Write(absl::string_view level, absl::string_view message, const nlohmann::json& fields) {
  nlohmann::json line = fields.is_object() ? fields : nlohmann::json::object();
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line["level"] = level;
  line["service"] = service_;
  line["msg"] = message;
  // Replace, not throw, on invalid UTF-8 from an error message.
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  absl::MutexLock lock(&mu_);
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

}  // namespace shouhu
