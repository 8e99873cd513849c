#include "services/registry/access_log_entries.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"

namespace shouhu::registry {

std::vector<AccessRead> GroupIntoReads(std::vector<AccessRecord> records) {
  std::vector<AccessRead> reads;
  for (AccessRecord& r : records) {
    const bool same_read = !reads.empty() && reads.back().subject == r.subject &&
                           reads.back().organisation_id == r.organisation_id &&
                           reads.back().record_type == r.record_type && reads.back().fields == r.fields &&
                           reads.back().purpose == r.purpose && reads.back().method == r.method;
    if (!same_read) {
      reads.push_back({std::move(r.subject),
                       std::move(r.organisation_id),
                       std::move(r.record_type),
                       std::move(r.fields),
                       std::move(r.purpose),
                       std::move(r.method),
                       {}});
    }
    reads.back().records.push_back(
        {"", std::move(r.record_id), std::move(r.village_code), std::move(r.consent_id)});
  }
  return reads;
}

std::string CommonVillagePrefix(const std::vector<AccessedRecord>& records) {
  if (records.empty()) return "";
  absl::string_view prefix = records.front().village_code;
  for (const AccessedRecord& r : records) {
    size_t n = 0;
    const size_t most = std::min(prefix.size(), r.village_code.size());
    while (n < most && prefix[n] == r.village_code[n]) ++n;
    prefix = prefix.substr(0, n);
  }
  return std::string(prefix);
}

absl::StatusOr<int64_t> AccessLogWeek(absl::string_view log_id, absl::string_view field) {
  constexpr int64_t kMillisPerWeek = int64_t{7} * 24 * 60 * 60 * 1000;
  const std::optional<int64_t> millis = IdUnixMillis(log_id);
  if (!millis) return absl::InvalidArgumentError(absl::StrCat(field, " is not an id this service gave"));
  return *millis / kMillisPerWeek;
}

size_t PaddedLogRows(size_t rows) { return rows < 8 ? rows : (rows + 7) / 8 * 8; }

std::string EncodeAccessedRecords(const std::vector<AccessedRecord>& records,
                                  const std::vector<std::string>& entry_ids) {
  std::string column;
  column.reserve(records.size() * 96);
  for (size_t i = 0; i < records.size(); ++i) {
    const AccessedRecord& r = records[i];
    absl::StrAppend(&column, i == 0 ? "" : ";", entry_ids[i], " ", r.record_id, " ", r.village_code, " ",
                    r.consent_id);
  }
  return column;
}

absl::StatusOr<std::vector<AccessedRecord>> DecodeAccessedRecords(absl::string_view column) {
  std::vector<AccessedRecord> records;
  if (column.empty()) return records;
  for (absl::string_view record : absl::StrSplit(column, ';')) {
    std::vector<absl::string_view> parts = absl::StrSplit(record, ' ');
    if (parts.size() != 4 || parts[0].empty() || parts[1].empty()) {
      return absl::InternalError("an access-log read's records are malformed");
    }
    records.push_back(
        {std::string(parts[0]), std::string(parts[1]), std::string(parts[2]), std::string(parts[3])});
  }
  return records;
}

}  // namespace shouhu::registry
