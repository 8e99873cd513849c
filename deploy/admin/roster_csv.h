// Reading a county roster file for shouhu-admin: the bytes decoded (UTF-8, or GB18030 as the national
// children's welfare information system and Excel on Chinese Windows save it), the CSV split into fields,
// the header's columns recognised by their Chinese (national system) or English names, and each line turned
// into a RosterRow. What cannot be read is a rejection with the row's number and the column, never its value.
#ifndef SHOUHU_DEPLOY_ADMIN_ROSTER_CSV_H_
#define SHOUHU_DEPLOY_ADMIN_ROSTER_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "shouhu/registry/v1/roster_service.pb.h"

namespace shouhu::admin {

enum class Encoding { kUtf8, kGb18030 };

// UTF-8 when the bytes are valid UTF-8 (a byte-order mark is dropped), else GB18030 converted with glibc's
// iconv. INVALID_ARGUMENT when they are neither.
struct DecodedText {
  Encoding encoding;
  std::string utf8;
};
absl::StatusOr<DecodedText> DecodeRosterFile(const std::string& bytes);

// RFC 4180 records: fields split on commas, double quotes around fields with commas, quotes or line breaks,
// "" for a quote inside; CRLF or LF line ends. Blank lines are skipped. Each record keeps its line number.
struct CsvRecord {
  int64_t line = 0;
  std::vector<std::string> fields;
};
absl::StatusOr<std::vector<CsvRecord>> SplitCsv(absl::string_view text);

// A parsed roster: its rows (row_number = data row 1, 2, … after the header) and the rows that could not be
// read, with why.
struct ParsedRoster {
  std::vector<registry::v1::RosterRow> rows;
  std::vector<registry::v1::RowRejection> rejections;
};

// The header row names the columns (README "Roster files"); name, sex, birth date, resident id and village
// code are required, INVALID_ARGUMENT naming the missing one otherwise.
absl::StatusOr<ParsedRoster> ParseRoster(const std::vector<CsvRecord>& records);

}  // namespace shouhu::admin

#endif  // SHOUHU_DEPLOY_ADMIN_ROSTER_CSV_H_
