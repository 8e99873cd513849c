#include "common/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"

namespace shouhu {
namespace {

constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCheckCharacters[] = "10X98765432";

int Digit(char c) { return c - '0'; }

// Decodes one UTF-8 sequence at text[i]; returns its length, or 0 if it is malformed (overlong, surrogate,
// beyond U+10FFFF, truncated).
size_t DecodeUtf8(absl::string_view text, size_t i, char32_t* out) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length;
  char32_t cp;
  if (lead < 0x80) {
    *out = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinimum[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *out = cp;
  return length;
}

}  // namespace

absl::StatusOr<ResidentId> ParseResidentId(absl::string_view text, absl::string_view field,
                                           absl::CivilDay today) {
  if (text.size() != 18) return InvalidField(field, "must be 18 characters");
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    if (!absl::ascii_isdigit(text[i]))
      return InvalidField(field, "must be 17 digits followed by a check character");
    sum += Digit(text[i]) * kWeights[i];
  }
  const char check = absl::ascii_toupper(text[17]);
  if (!absl::ascii_isdigit(check) && check != 'X') {
    return InvalidField(field, "must end in a digit or X");
  }
  if (check != kCheckCharacters[sum % 11]) return InvalidField(field, "check character does not match");

  const int year = Digit(text[6]) * 1000 + Digit(text[7]) * 100 + Digit(text[8]) * 10 + Digit(text[9]);
  const int month = Digit(text[10]) * 10 + Digit(text[11]);
  const int day = Digit(text[12]) * 10 + Digit(text[13]);
  const absl::CivilDay birth(year, month, day);
  // CivilDay normalises 2023-02-30 to 2023-03-02; a real date survives the round trip.
  if (birth.year() != year || birth.month() != month || birth.day() != day || year < 1900) {
    return InvalidField(field, "does not encode a real birth date");
  }
  if (birth > today) return InvalidField(field, "encodes a birth date in the future");

  ResidentId id;
  id.normalized = std::string(text.substr(0, 17)) + check;
  id.region_code = std::string(text.substr(0, 6));
  id.birth_date = birth;
  id.sex = Digit(text[16]) % 2 == 1 ? Sex::kMale : Sex::kFemale;
  return id;
}

std::string MaskResidentId(absl::string_view normalized) {
  if (normalized.size() != 18) return std::string(normalized.size(), '*');
  return absl::StrCat(normalized.substr(0, 6), std::string(8, '*'), normalized.substr(14));
}

int DivisionLevel(absl::string_view code) {
  for (char c : code) {
    if (!absl::ascii_isdigit(c)) return 0;
  }
  switch (code.size()) {
    case 2:
      return 1;
    case 4:
      return 2;
    case 6:
      return 3;
    case 9:
      return 4;
    case 12:
      return 5;
    default:
      return 0;
  }
}

absl::Status ValidateDivisionCode(absl::string_view code, absl::string_view field) {
  if (code.empty()) return InvalidField(field, "is required");
  if (DivisionLevel(code) == 0) {
    return InvalidField(field, "must be a division code of 2, 4, 6, 9 or 12 digits");
  }
  return absl::OkStatus();
}

bool IsValidUtf8(absl::string_view text) {
  char32_t cp;
  for (size_t i = 0; i < text.size();) {
    const size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

size_t Utf8Length(absl::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

absl::Status ValidateText(absl::string_view text, absl::string_view field, size_t min_chars,
                          size_t max_chars) {
  char32_t cp;
  size_t chars = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0) return InvalidField(field, "is not valid UTF-8");
    if (cp < 0x20 && cp != '\n' && cp != '\t')
      return InvalidField(field, "must not contain control characters");
    if (cp == 0x7F) return InvalidField(field, "must not contain control characters");
    i += n;
    ++chars;
  }
  if (chars < min_chars) {
    return InvalidField(
        field, min_chars == 1 ? "is required" : absl::StrCat("must be at least ", min_chars, " characters"));
  }
  if (chars > max_chars)
    return InvalidField(field, absl::StrCat("must be at most ", max_chars, " characters"));
  return absl::OkStatus();
}

absl::Status ValidateMeaningfulText(absl::string_view text, absl::string_view field, size_t max_chars) {
  RETURN_IF_ERROR(ValidateText(text, field, 1, max_chars));
  if (absl::StripAsciiWhitespace(text).empty()) return InvalidField(field, "must not be only spaces");
  // U+3000, the ideographic space a Chinese input method types.
  std::string rest(text);
  for (size_t at; (at = rest.find("\xE3\x80\x80")) != std::string::npos;) rest.erase(at, 3);
  if (absl::StripAsciiWhitespace(rest).empty()) return InvalidField(field, "must not be only spaces");
  return absl::OkStatus();
}

absl::Status ValidateRecordId(absl::string_view id, absl::string_view field) {
  if (id.empty()) return InvalidField(field, "is required");
  if (!IsWellFormedId(id)) return InvalidField(field, "is not a well-formed id");
  return absl::OkStatus();
}

absl::Status ValidateIdentifier(absl::string_view value, absl::string_view field, size_t max_chars) {
  if (value.empty()) return InvalidField(field, "is required");
  return ValidateOptionalIdentifier(value, field, max_chars);
}

absl::Status ValidateOptionalIdentifier(absl::string_view value, absl::string_view field, size_t max_chars) {
  if (value.size() > max_chars) {
    return InvalidField(field, absl::StrCat("must be at most ", max_chars, " characters"));
  }
  for (char c : value) {
    if (c < 0x21 || c > 0x7e) return InvalidField(field, "must be printable ASCII without spaces");
  }
  return absl::OkStatus();
}

absl::Status ValidateRequiredEnum(int value, bool (*is_valid)(int), absl::string_view field) {
  if (value == 0) return InvalidField(field, "is required");
  return ValidateEnumFilter(value, is_valid, field);
}

absl::Status ValidateEnumFilter(int value, bool (*is_valid)(int), absl::string_view field) {
  if (value != 0 && !is_valid(value)) return InvalidField(field, "must be one of the listed values");
  return absl::OkStatus();
}

}  // namespace shouhu
