// Checks of input that every service receives: Chinese resident identity numbers, administrative-division
// codes, text length and encoding. Each failure is INVALID_ARGUMENT naming the field and never quoting the
// value, which may be personal data.
#ifndef SHOUHU_COMMON_VALIDATION_H_
#define SHOUHU_COMMON_VALIDATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace shouhu {

enum class Sex { kUnspecified, kMale, kFemale };

// What an 18-character resident identity number (GB 11643) encodes.
struct ResidentId {
  std::string normalized;   // upper-case 'X'
  std::string region_code;  // the 6-digit division code of first registration
  absl::CivilDay birth_date;
  Sex sex = Sex::kUnspecified;  // the 17th digit: odd male, even female
};

// 18 characters: 17 digits and an ISO 7064 MOD 11-2 check character (0-9 or X, lower-case x accepted), with
// a real birth date not after `today` and not before 1900.
absl::StatusOr<ResidentId> ParseResidentId(absl::string_view text, absl::string_view field,
                                           absl::CivilDay today);

// The resident id with all but the first six and last four characters hidden: 532329********123X.
std::string MaskResidentId(absl::string_view normalized);

// Number of levels a division code's length denotes: 2 province, 4 prefecture, 6 county, 9 township,
// 12 village; 0 when the length is none of those or it holds a non-digit.
int DivisionLevel(absl::string_view code);

// A syntactically valid code at any level.
absl::Status ValidateDivisionCode(absl::string_view code, absl::string_view field);

// Valid UTF-8 with between `min` and `max` characters (code points), none of them control characters.
absl::Status ValidateText(absl::string_view text, absl::string_view field, size_t min_chars,
                          size_t max_chars);

// Text that must say something: ValidateText, and not only spaces (a purpose, a reason).
absl::Status ValidateMeaningfulText(absl::string_view text, absl::string_view field, size_t max_chars);

// The id of one of our records (common/ids.h): required and well-formed.
absl::Status ValidateRecordId(absl::string_view id, absl::string_view field);

// The id of something another system names (an organisation, a caseworker): 1..max_chars printable ASCII
// characters without spaces. Optional ones pass when empty.
absl::Status ValidateIdentifier(absl::string_view value, absl::string_view field, size_t max_chars);
absl::Status ValidateOptionalIdentifier(absl::string_view value, absl::string_view field, size_t max_chars);

// A proto enum value: `is_valid` is the generated <Enum>_IsValid. Required ones must not be 0 (UNSPECIFIED);
// a filter's 0 means "any".
absl::Status ValidateRequiredEnum(int value, bool (*is_valid)(int), absl::string_view field);
absl::Status ValidateEnumFilter(int value, bool (*is_valid)(int), absl::string_view field);

// Valid UTF-8, for text from outside that we store as is.
bool IsValidUtf8(absl::string_view text);
size_t Utf8Length(absl::string_view text);

}  // namespace shouhu

#endif  // SHOUHU_COMMON_VALIDATION_H_
