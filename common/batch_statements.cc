#include "common/batch_statements.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace shouhu::db {
namespace {

// A chunk's bounds: the rows a statement carries at most, and the protocol's limit on a prepared
// statement's parameters (a 16-bit count).
constexpr size_t kMaxChunkRows = 256;
constexpr size_t kMaxParameters = 65535;

}  // namespace

size_t PaddedCount(size_t n) {
  size_t padded = 1;
  while (padded < n) padded *= 2;
  return padded;
}

std::string PaddedList(absl::string_view entry, absl::string_view separator, size_t n) {
  std::string out;
  const size_t count = PaddedCount(n);
  out.reserve(count * (entry.size() + separator.size()));
  for (size_t i = 0; i < count; ++i) absl::StrAppend(&out, i == 0 ? "" : separator, entry);
  return out;
}

void PadEntries(std::vector<Value>& params, size_t from, size_t width, size_t n) {
  if (n == 0 || width == 0) return;
  const size_t last = from + (n - 1) * width;
  params.reserve(from + PaddedCount(n) * width);
  for (size_t i = n; i < PaddedCount(n); ++i) {
    for (size_t v = 0; v < width; ++v) params.push_back(params[last + v]);
  }
}

absl::StatusOr<uint64_t> InsertRows(Session& tx, absl::string_view head, absl::string_view tuple,
                                    size_t width, const std::vector<Value>& params, absl::string_view tail) {
  if (width == 0 || params.size() % width != 0) {
    return absl::InternalError("InsertRows: parameters are not whole rows");
  }
  const size_t rows = params.size() / width;
  uint64_t inserted = 0;
  std::vector<Value> chunk;
  for (size_t from = 0; from < rows;) {
    size_t size = 1;
    while (size * 2 <= rows - from && size * 2 <= kMaxChunkRows && size * 2 * width <= kMaxParameters)
      size *= 2;
    std::string sql(head);
    sql.reserve(head.size() + size * (tuple.size() + 2) + tail.size());
    for (size_t i = 0; i < size; ++i) absl::StrAppend(&sql, i == 0 ? "" : ", ", tuple);
    absl::StrAppend(&sql, tail);
    if (from == 0 && size == rows) return tx.Execute(sql, params);  // one statement: no copy of the values
    chunk.assign(params.begin() + static_cast<std::ptrdiff_t>(from * width),
                 params.begin() + static_cast<std::ptrdiff_t>((from + size) * width));
    ASSIGN_OR_RETURN(uint64_t n, tx.Execute(sql, chunk));
    inserted += n;
    from += size;
  }
  return inserted;
}

}  // namespace shouhu::db
