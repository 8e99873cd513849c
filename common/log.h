// Structured logs: one JSON object per line on stderr, which is what the cluster's log collector reads.
// Never put personal data (names, ID numbers, addresses) in a log field.
#ifndef SHOUHU_COMMON_LOG_H_
#define SHOUHU_COMMON_LOG_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace shouhu {

class Logger {
 public:
  explicit Logger(std::string service, std::FILE* out = stderr) : service_(std::move(service)), out_(out) {}

  void Info(absl::string_view message, const nlohmann::json& fields = nlohmann::json::object());
  void Warn(absl::string_view message, const nlohmann::json& fields = nlohmann::json::object());
  void Error(absl::string_view message, const nlohmann::json& fields = nlohmann::json::object());

 private:
  void Write(absl::string_view level, absl::string_view message, const nlohmann::json& fields);

  const std::string service_;
  std::FILE* const out_;
  absl::Mutex mu_;
};

}  // namespace shouhu

#endif  // SHOUHU_COMMON_LOG_H_
