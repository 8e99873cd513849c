#include "services/registry/division_importer.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu::registry {
namespace {

constexpr const char* kFiles[] = {"provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"};
constexpr int kChunkRows = 500;
constexpr absl::string_view kImported = "SELECT row_count FROM division_imports WHERE source = ?";
constexpr absl::string_view kRecordImport =
    "REPLACE INTO division_imports (source, row_count, imported_at) VALUES (?, ?, ?)";
constexpr absl::string_view kInsertDivisionsHead =
    "INSERT IGNORE INTO divisions (code, name, level, parent_code) VALUES ";

// The parent's code: the code with its last level's digits removed (12 → 9 → 6 → 4 → 2 → "").
std::string ParentCode(const std::string& code) {
  switch (code.size()) {
    case 12:
      return code.substr(0, 9);
    case 9:
      return code.substr(0, 6);
    case 6:
      return code.substr(0, 4);
    case 4:
      return code.substr(0, 2);
    default:
      return "";
  }
}

bool Kept(const std::string& code, const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) return true;
  for (const auto& p : prefixes) {
    if (absl::StartsWith(code, p) || absl::StartsWith(p, code)) return true;
  }
  return false;
}

std::string ChunkSql(size_t rows) {
  std::string sql(kInsertDivisionsHead);
  for (size_t i = 0; i < rows; ++i) absl::StrAppend(&sql, i == 0 ? "" : ", ", "(?, ?, ?, ?)");
  return sql;
}

}  // namespace

absl::StatusOr<std::vector<v1::Division>> ParseDivisionCsv(const std::string& text,
                                                           const std::vector<std::string>& prefixes) {
  std::vector<v1::Division> divisions;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<absl::string_view> cells = absl::StrSplit(line, absl::MaxSplits(',', 2));
    if (cells.size() < 2) return absl::DataLossError("division file has a line without code and name");
    std::string code(cells[0]);
    absl::string_view name = absl::StripSuffix(absl::StripPrefix(cells[1], "\""), "\"");
    const int level = DivisionLevel(code);
    if (level == 0) return absl::DataLossError(absl::StrCat("division file has a malformed code ", code));
    if (!Kept(code, prefixes)) continue;
    v1::Division& d = divisions.emplace_back();
    d.set_code(code);
    d.set_name(std::string(name));
    d.set_level(static_cast<v1::DivisionLevel>(level));
    d.set_parent_code(ParentCode(code));
  }
  return divisions;
}

absl::StatusOr<bool> StoreDivisions(db::Pool& pool, const Clock& clock, const std::string& source,
                                    const std::vector<v1::Division>& divisions) {
  bool done = false;
  RETURN_IF_ERROR(pool.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kImported, {source}));
    done = row && row->Int(0) == static_cast<int64_t>(divisions.size());
    return absl::OkStatus();
  }));
  if (done) return false;
  const std::string full_chunk_sql = ChunkSql(kChunkRows);
  for (size_t start = 0; start < divisions.size(); start += kChunkRows) {
    const size_t n = std::min<size_t>(kChunkRows, divisions.size() - start);
    const std::string sql = n == kChunkRows ? full_chunk_sql : ChunkSql(n);
    std::vector<db::Value> params;
    params.reserve(n * 4);
    for (size_t i = start; i < start + n; ++i) {
      const auto& d = divisions[i];
      params.insert(params.end(), {d.code(), d.name(), int64_t{d.level()}, d.parent_code()});
    }
    RETURN_IF_ERROR(pool.Transaction([&](db::Session& tx) { return tx.Execute(sql, params).status(); }));
  }
  RETURN_IF_ERROR(pool.Autocommit([&](db::Session& s) {
    return s
        .Execute(kRecordImport, {source, static_cast<int64_t>(divisions.size()), ToSqlTimestamp(clock.Now())})
        .status();
  }));
  return true;
}

absl::StatusOr<ImportSummary> ImportDivisions(db::Pool& pool, const Clock& clock, const std::string& dir,
                                              const std::vector<std::string>& prefixes) {
  ImportSummary summary;
  const std::string scope = prefixes.empty() ? "all" : absl::StrJoin(prefixes, "+");
  for (const char* file : kFiles) {
    std::ifstream in(absl::StrCat(dir, "/", file));
    if (!in) return absl::NotFoundError(absl::StrCat("division file ", dir, "/", file, " is missing"));
    std::stringstream buffer;
    buffer << in.rdbuf();
    ASSIGN_OR_RETURN(std::vector<v1::Division> divisions, ParseDivisionCsv(buffer.str(), prefixes));
    const std::string source = absl::StrCat(file, ":", scope).substr(0, 64);
    ASSIGN_OR_RETURN(bool wrote, StoreDivisions(pool, clock, source, divisions));
    if (!wrote) {
      ++summary.files_skipped;
      continue;
    }
    ++summary.files_loaded;
    summary.rows += static_cast<int64_t>(divisions.size());
  }
  return summary;
}

}  // namespace shouhu::registry
