#include "deploy/admin/roster_csv.h"

#include <iconv.h>

#include <cerrno>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace shouhu::admin {
namespace {

namespace v1 = registry::v1;

bool IsUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && c < 0xC2) || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

absl::StatusOr<std::string> FromGb18030(const std::string& bytes) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) return absl::InternalError("iconv has no GB18030 converter");
  std::string out(bytes.size() * 2 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  absl::Status status;
  while (in_left > 0) {
    if (iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left) != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) {
      const size_t used = out.size() - out_left;
      out.resize(out.size() * 2);
      out_ptr = out.data() + used;
      out_left = out.size() - used;
      continue;
    }
    status = absl::InvalidArgumentError(absl::StrCat(
        "file: neither UTF-8 nor GB18030 (unreadable bytes at offset ", bytes.size() - in_left, ")"));
    break;
  }
  iconv_close(cd);
  if (!status.ok()) return status;
  out.resize(out.size() - out_left);
  return out;
}

// Each column's English name and the names the national system's export (and county spreadsheets) use.
const std::map<std::string, std::string>& ColumnNames() {
  static const auto* names = new std::map<std::string, std::string>{
      {"name", "name"},
      {"姓名", "name"},
      {"儿童姓名", "name"},
      {"sex", "sex"},
      {"性别", "sex"},
      {"birth_date", "birth_date"},
      {"出生日期", "birth_date"},
      {"resident_id", "resident_id"},
      {"身份证号", "resident_id"},
      {"身份证号码", "resident_id"},
      {"公民身份号码", "resident_id"},
      {"village_code", "village_code"},
      {"村(社区)代码", "village_code"},
      {"村（社区）代码", "village_code"},
      {"村居代码", "village_code"},
      {"行政区划代码", "village_code"},
      {"address", "address"},
      {"详细地址", "address"},
      {"家庭住址", "address"},
      {"categories", "categories"},
      {"儿童类别", "categories"},
      {"儿童类型", "categories"},
      {"guardian1_name", "guardian1_name"},
      {"监护人姓名", "guardian1_name"},
      {"监护人1姓名", "guardian1_name"},
      {"guardian1_relationship", "guardian1_relationship"},
      {"与儿童关系", "guardian1_relationship"},
      {"监护人1关系", "guardian1_relationship"},
      {"guardian1_status", "guardian1_status"},
      {"监护人状况", "guardian1_status"},
      {"监护人1状况", "guardian1_status"},
      {"guardian2_name", "guardian2_name"},
      {"监护人2姓名", "guardian2_name"},
      {"guardian2_relationship", "guardian2_relationship"},
      {"监护人2关系", "guardian2_relationship"},
      {"guardian2_status", "guardian2_status"},
      {"监护人2状况", "guardian2_status"},
  };
  return *names;
}

template <typename Enum>
using Vocabulary = std::map<std::string, Enum>;

const Vocabulary<v1::Sex>& Sexes() {
  static const auto* v = new Vocabulary<v1::Sex>{
      {"男", v1::SEX_MALE},   {"male", v1::SEX_MALE},     {"m", v1::SEX_MALE},   {"1", v1::SEX_MALE},
      {"女", v1::SEX_FEMALE}, {"female", v1::SEX_FEMALE}, {"f", v1::SEX_FEMALE}, {"2", v1::SEX_FEMALE}};
  return *v;
}

const Vocabulary<v1::ChildCategory>& Categories() {
  static const auto* v = new Vocabulary<v1::ChildCategory>{
      {"留守儿童", v1::CHILD_CATEGORY_LEFT_BEHIND},
      {"left_behind", v1::CHILD_CATEGORY_LEFT_BEHIND},
      {"事实无人抚养儿童", v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED},
      {"de_facto_unsupported", v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED},
      {"孤儿", v1::CHILD_CATEGORY_ORPHAN},
      {"orphan", v1::CHILD_CATEGORY_ORPHAN},
      {"流浪儿童", v1::CHILD_CATEGORY_STREET_CHILD},
      {"street_child", v1::CHILD_CATEGORY_STREET_CHILD},
      {"困境儿童", v1::CHILD_CATEGORY_IN_DISTRESS},
      {"in_distress", v1::CHILD_CATEGORY_IN_DISTRESS},
      {"残疾儿童", v1::CHILD_CATEGORY_DISABILITY},
      {"disability", v1::CHILD_CATEGORY_DISABILITY},
      {"寄宿困境儿童", v1::CHILD_CATEGORY_BOARDING_STUDENT},
      {"boarding_student", v1::CHILD_CATEGORY_BOARDING_STUDENT},
  };
  return *v;
}

const Vocabulary<v1::GuardianRelationship>& Relationships() {
  static const auto* v = new Vocabulary<v1::GuardianRelationship>{
      {"父亲", v1::GUARDIAN_RELATIONSHIP_FATHER},
      {"father", v1::GUARDIAN_RELATIONSHIP_FATHER},
      {"母亲", v1::GUARDIAN_RELATIONSHIP_MOTHER},
      {"mother", v1::GUARDIAN_RELATIONSHIP_MOTHER},
      {"祖父母", v1::GUARDIAN_RELATIONSHIP_GRANDPARENT},
      {"外祖父母", v1::GUARDIAN_RELATIONSHIP_GRANDPARENT},
      {"祖父", v1::GUARDIAN_RELATIONSHIP_GRANDPARENT},
      {"祖母", v1::GUARDIAN_RELATIONSHIP_GRANDPARENT},
      {"外祖父", v1::GUARDIAN_RELATIONSHIP_GRANDPARENT},
      {"外祖母", v1::GUARDIAN_RELATIONSHIP_GRANDPARENT},
      {"grandparent", v1::GUARDIAN_RELATIONSHIP_GRANDPARENT},
      {"其他亲属", v1::GUARDIAN_RELATIONSHIP_OTHER_RELATIVE},
      {"other_relative", v1::GUARDIAN_RELATIONSHIP_OTHER_RELATIVE},
      {"其他", v1::GUARDIAN_RELATIONSHIP_OTHER},
      {"other", v1::GUARDIAN_RELATIONSHIP_OTHER},
  };
  return *v;
}

const Vocabulary<v1::GuardianStatus>& GuardianStatuses() {
  static const auto* v = new Vocabulary<v1::GuardianStatus>{
      {"正常", v1::GUARDIAN_STATUS_PRESENT_AND_ABLE},
      {"有监护能力", v1::GUARDIAN_STATUS_PRESENT_AND_ABLE},
      {"present_and_able", v1::GUARDIAN_STATUS_PRESENT_AND_ABLE},
      {"外出务工", v1::GUARDIAN_STATUS_MIGRANT_WORKER},
      {"migrant_worker", v1::GUARDIAN_STATUS_MIGRANT_WORKER},
      {"服刑在押", v1::GUARDIAN_STATUS_IMPRISONED},
      {"服刑", v1::GUARDIAN_STATUS_IMPRISONED},
      {"imprisoned", v1::GUARDIAN_STATUS_IMPRISONED},
      {"重病", v1::GUARDIAN_STATUS_SERIOUSLY_ILL},
      {"seriously_ill", v1::GUARDIAN_STATUS_SERIOUSLY_ILL},
      {"重残", v1::GUARDIAN_STATUS_SEVERELY_DISABLED},
      {"severely_disabled", v1::GUARDIAN_STATUS_SEVERELY_DISABLED},
      {"强制隔离戒毒", v1::GUARDIAN_STATUS_IN_COMPULSORY_DRUG_REHABILITATION},
      {"in_compulsory_drug_rehabilitation", v1::GUARDIAN_STATUS_IN_COMPULSORY_DRUG_REHABILITATION},
      {"失联", v1::GUARDIAN_STATUS_MISSING},
      {"missing", v1::GUARDIAN_STATUS_MISSING},
      {"死亡", v1::GUARDIAN_STATUS_DECEASED},
      {"deceased", v1::GUARDIAN_STATUS_DECEASED},
  };
  return *v;
}

template <typename Enum>
std::optional<Enum> Lookup(const Vocabulary<Enum>& vocabulary, absl::string_view text) {
  auto it = vocabulary.find(absl::AsciiStrToLower(absl::StripAsciiWhitespace(text)));
  if (it == vocabulary.end()) return std::nullopt;
  return it->second;
}

// 2015-06-07, 2015/6/7 and 20150607 (as spreadsheets write dates) into YYYY-MM-DD; nullopt otherwise.
std::optional<std::string> IsoDate(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  int year = 0, month = 0, day = 0;
  if (text.size() == 8 && absl::SimpleAtoi(text.substr(0, 4), &year) &&
      absl::SimpleAtoi(text.substr(4, 2), &month) && absl::SimpleAtoi(text.substr(6, 2), &day)) {
    return absl::StrFormat("%04d-%02d-%02d", year, month, day);
  }
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::ByAnyChar("-/."));
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &year) || !absl::SimpleAtoi(parts[1], &month) ||
      !absl::SimpleAtoi(parts[2], &day)) {
    return std::nullopt;
  }
  return absl::StrFormat("%04d-%02d-%02d", year, month, day);
}

v1::RowRejection Rejection(int64_t row, const std::string& field, const std::string& reason) {
  v1::RowRejection r;
  r.set_row_number(row);
  r.set_field(field);
  r.set_reason(reason);
  return r;
}

}  // namespace

absl::StatusOr<DecodedText> DecodeRosterFile(const std::string& bytes) {
  if (IsUtf8(bytes)) {
    absl::string_view text = bytes;
    absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
    return DecodedText{Encoding::kUtf8, std::string(text)};
  }
  absl::StatusOr<std::string> utf8 = FromGb18030(bytes);
  if (!utf8.ok()) return utf8.status();
  return DecodedText{Encoding::kGb18030, *std::move(utf8)};
}

absl::StatusOr<std::vector<CsvRecord>> SplitCsv(absl::string_view text) {
  std::vector<CsvRecord> records;
  CsvRecord current;
  std::string field;
  bool quoted = false, field_started = false;
  int64_t line = 1;
  current.line = 1;
  auto end_field = [&] {
    current.fields.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    const bool blank = current.fields.size() == 1 && current.fields[0].empty();
    if (!blank) records.push_back(std::move(current));
    current = CsvRecord();
    current.line = line;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      ++line;
      end_record();
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted)
    return absl::InvalidArgumentError(
        absl::StrCat("file: a quote opened on line ", current.line, " never closes"));
  if (field_started || !current.fields.empty()) end_record();
  return records;
}

absl::StatusOr<ParsedRoster> ParseRoster(const std::vector<CsvRecord>& records) {
  if (records.empty()) return absl::InvalidArgumentError("file: no header row");
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < records[0].fields.size(); ++i) {
    auto known = ColumnNames().find(std::string(absl::StripAsciiWhitespace(records[0].fields[i])));
    if (known != ColumnNames().end()) column.emplace(known->second, i);
  }
  for (const char* required : {"name", "sex", "birth_date", "resident_id", "village_code"}) {
    if (column.count(required) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("file: the header has no ", required, " column (README: Roster files)"));
    }
  }
  ParsedRoster parsed;
  for (size_t r = 1; r < records.size(); ++r) {
    const auto& fields = records[r].fields;
    const int64_t row_number = static_cast<int64_t>(r);
    auto cell = [&](const std::string& name) -> std::string {
      auto it = column.find(name);
      if (it == column.end() || it->second >= fields.size()) return "";
      return std::string(absl::StripAsciiWhitespace(fields[it->second]));
    };
    v1::RosterRow row;
    row.set_row_number(row_number);
    std::optional<v1::RowRejection> rejected;
    row.mutable_child()->set_name(cell("name"));
    if (auto sex = Lookup(Sexes(), cell("sex"))) {
      row.mutable_child()->set_sex(*sex);
    } else {
      rejected = Rejection(row_number, "child.sex", "is not 男/女 or male/female");
    }
    if (auto date = IsoDate(cell("birth_date"))) {
      row.mutable_child()->set_birth_date(*date);
    } else if (!rejected) {
      rejected = Rejection(row_number, "child.birth_date", "is not a date (YYYY-MM-DD)");
    }
    row.mutable_child()->set_resident_id(cell("resident_id"));
    row.mutable_household()->set_village_code(cell("village_code"));
    row.mutable_household()->set_address_detail(cell("address"));
    // Categories are separated by ; | or the Chinese 、 and ，(replaced first: splitting on their bytes would
    // cut other characters).
    const std::string categories = absl::StrReplaceAll(cell("categories"), {{"、", ";"}, {"，", ";"}});
    for (absl::string_view name : absl::StrSplit(categories, absl::ByAnyChar(";|"), absl::SkipWhitespace())) {
      std::string cleaned(absl::StripAsciiWhitespace(name));
      if (cleaned.empty()) continue;
      if (auto category = Lookup(Categories(), cleaned)) {
        row.add_categories(*category);
      } else if (!rejected) {
        rejected = Rejection(row_number, "categories", "names a category this registry does not know");
      }
    }
    for (int g = 1; g <= 2; ++g) {
      const std::string prefix = absl::StrCat("guardian", g, "_");
      const std::string name = cell(prefix + "name");
      if (name.empty()) continue;
      const std::string at = absl::StrCat("guardians[", row.guardians_size(), "]");
      v1::Guardian& guardian = *row.add_guardians();
      guardian.set_name(name);
      if (auto relationship = Lookup(Relationships(), cell(prefix + "relationship"))) {
        guardian.set_relationship(*relationship);
      } else if (!rejected) {
        rejected = Rejection(row_number, at + ".relationship", "is not a known relationship");
      }
      if (auto status = Lookup(GuardianStatuses(), cell(prefix + "status"))) {
        guardian.set_status(*status);
      } else if (!rejected) {
        rejected = Rejection(row_number, at + ".status", "is not a known guardian status");
      }
    }
    if (rejected) {
      parsed.rejections.push_back(*std::move(rejected));
    } else {
      parsed.rows.push_back(std::move(row));
    }
  }
  return parsed;
}

}  // namespace shouhu::admin
