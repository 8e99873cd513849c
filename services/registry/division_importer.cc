#include "services/registry/division_importer.h"

#include <fstream>
#include <functional>
#include <istream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/validation.h"

namespace shouhu::registry {
namespace {

constexpr const char* kFiles[] = {"provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"};
constexpr size_t kChunkRows = 500;
constexpr absl::string_view kImported = "SELECT row_count FROM division_imports WHERE source = ?";
constexpr absl::string_view kRecordImport =
    "REPLACE INTO division_imports (source, row_count, imported_at) VALUES (?, ?, ?)";
constexpr absl::string_view kInsertDivisionsHead =
    "INSERT IGNORE INTO divisions (code, name, level, parent_code) VALUES ";

// The parent's code: the code with its last level's digits removed (12 → 9 → 6 → 4 → 2 → "").
std::string ParentCode(absl::string_view code) {
  switch (code.size()) {
    case 12:
      return std::string(code.substr(0, 9));
    case 9:
      return std::string(code.substr(0, 6));
    case 6:
      return std::string(code.substr(0, 4));
    case 4:
      return std::string(code.substr(0, 2));
    default:
      return "";
  }
}

bool Kept(absl::string_view code, const std::vector<std::string>& prefixes) {
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

// One line of a division file, viewed in place.
struct DivisionRow {
  absl::string_view code;
  absl::string_view name;
  int level = 0;
};

// Calls `kept` with each row of `in` whose code `prefixes` keep, in file order, one line at a time: the
// villages' file is 38 MB, and holding it parsed raised the registry's resident set to 225 MiB at every start
// (26 MiB this way).
absl::Status ForEachDivision(std::istream& in, const std::vector<std::string>& prefixes,
                             const std::function<absl::Status(const DivisionRow&)>& kept) {
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    std::vector<absl::string_view> cells = absl::StrSplit(line, absl::MaxSplits(',', 2));
    if (cells.size() < 2) return absl::DataLossError("division file has a line without code and name");
    DivisionRow row{cells[0], absl::StripSuffix(absl::StripPrefix(cells[1], "\""), "\""), 0};
    row.level = DivisionLevel(row.code);
    if (row.level == 0)
      return absl::DataLossError(absl::StrCat("division file has a malformed code ", row.code));
    if (!Kept(row.code, prefixes)) continue;
    RETURN_IF_ERROR(kept(row));
  }
  if (in.bad()) return absl::DataLossError("division file could not be read to its end");
  return absl::OkStatus();
}

// Whether `source` was recorded with `rows` rows: then its rows are in and it is skipped.
absl::StatusOr<bool> AlreadyImported(db::Pool& pool, const std::string& source, int64_t rows) {
  bool done = false;
  RETURN_IF_ERROR(pool.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kImported, {source}));
    done = row && row->Int(0) == rows;
    return absl::OkStatus();
  }));
  return done;
}

absl::Status RecordImport(db::Pool& pool, const Clock& clock, const std::string& source, int64_t rows) {
  return pool.Autocommit([&](db::Session& s) {
    return s.Execute(kRecordImport, {source, rows, ToSqlTimestamp(clock.Now())}).status();
  });
}

// Collects rows and writes them kChunkRows at a time, each chunk in a transaction of its own.
class ChunkWriter {
 public:
  explicit ChunkWriter(db::Pool& pool) : pool_(pool), full_chunk_sql_(ChunkSql(kChunkRows)) {
    params_.reserve(kChunkRows * 4);
  }

  absl::Status Add(absl::string_view code, absl::string_view name, int level) {
    params_.insert(params_.end(), {std::string(code), std::string(name), int64_t{level}, ParentCode(code)});
    if (params_.size() == kChunkRows * 4) return Flush();
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (params_.empty()) return absl::OkStatus();
    const size_t rows = params_.size() / 4;
    const std::string sql = rows == kChunkRows ? full_chunk_sql_ : ChunkSql(rows);
    RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) { return tx.Execute(sql, params_).status(); }));
    params_.clear();
    return absl::OkStatus();
  }

 private:
  db::Pool& pool_;
  const std::string full_chunk_sql_;
  std::vector<db::Value> params_;
};

}  // namespace

absl::StatusOr<std::vector<v1::Division>> ParseDivisionCsv(const std::string& text,
                                                           const std::vector<std::string>& prefixes) {
  std::vector<v1::Division> divisions;
  std::istringstream in(text);
  RETURN_IF_ERROR(ForEachDivision(in, prefixes, [&](const DivisionRow& row) {
    v1::Division& d = divisions.emplace_back();
    d.set_code(std::string(row.code));
    d.set_name(std::string(row.name));
    d.set_level(static_cast<v1::DivisionLevel>(row.level));
    d.set_parent_code(ParentCode(d.code()));
    return absl::OkStatus();
  }));
  return divisions;
}

absl::StatusOr<bool> StoreDivisions(db::Pool& pool, const Clock& clock, const std::string& source,
                                    const std::vector<v1::Division>& divisions) {
  const auto rows = static_cast<int64_t>(divisions.size());
  ASSIGN_OR_RETURN(bool done, AlreadyImported(pool, source, rows));
  if (done) return false;
  ChunkWriter writer(pool);
  for (const auto& d : divisions) RETURN_IF_ERROR(writer.Add(d.code(), d.name(), d.level()));
  RETURN_IF_ERROR(writer.Flush());
  RETURN_IF_ERROR(RecordImport(pool, clock, source, rows));
  return true;
}

absl::StatusOr<ImportSummary> ImportDivisions(db::Pool& pool, const Clock& clock, const std::string& dir,
                                              const std::vector<std::string>& prefixes) {
  ImportSummary summary;
  const std::string scope = prefixes.empty() ? "all" : absl::StrJoin(prefixes, "+");
  for (const char* file : kFiles) {
    const std::string path = absl::StrCat(dir, "/", file);
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat("division file ", path, " is missing"));
    // Counted first, without keeping a row: a file already recorded with as many rows is skipped (every start
    // after the first), and is then read once more only to be written.
    int64_t rows = 0;
    absl::Status counted = ForEachDivision(in, prefixes, [&](const DivisionRow&) {
      ++rows;
      return absl::OkStatus();
    });
    // The file's errors name it (a start that stops on one must say which file to look at).
    const auto in_file = [&path](const absl::Status& status) {
      return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
    };
    if (!counted.ok()) return in_file(counted);
    const std::string source = absl::StrCat(file, ":", scope).substr(0, 64);
    ASSIGN_OR_RETURN(bool done, AlreadyImported(pool, source, rows));
    if (done) {
      ++summary.files_skipped;
      continue;
    }
    in.clear();
    in.seekg(0);
    ChunkWriter writer(pool);
    absl::Status written = ForEachDivision(
        in, prefixes, [&](const DivisionRow& row) { return writer.Add(row.code, row.name, row.level); });
    if (!written.ok()) return in_file(written);
    RETURN_IF_ERROR(writer.Flush());
    RETURN_IF_ERROR(RecordImport(pool, clock, source, rows));
    ++summary.files_loaded;
    summary.rows += rows;
  }
  return summary;
}

}  // namespace shouhu::registry
