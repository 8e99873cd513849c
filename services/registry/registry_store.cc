#include "services/registry/registry_store.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/batch_statements.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/registry/case_cooperation_records.h"
#include "services/registry/child_columns.h"
#include "services/registry/child_home.h"
#include "services/registry/county_category_store.h"
#include "services/registry/county_search_lead.h"
#include "services/registry/record_statements.h"
#include "services/registry/statistics_count_store.h"
#include "shouhu/registry/storage/v1/referral_details.pb.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::registry {
namespace {

// ---- SQL
// ----------------------------------------------------------------------------------------------------

constexpr absl::string_view kGetDivision =
    "SELECT code, name, level, parent_code FROM divisions WHERE code = ?";
constexpr absl::string_view kListChildDivisions =
    "SELECT code, name, level, parent_code FROM divisions WHERE parent_code = ? AND code > ? ORDER BY code "
    "LIMIT ?";

constexpr absl::string_view kChildByResidentHash = "SELECT id FROM children WHERE resident_id_hash = ?";
// The duplicate check of a batch of referrals (MatchSubmissions), each statement completed by its padded
// list (common/batch_statements.h): the children registered under any of the batch's resident-id hashes
// (unique key), with where they lie and whose case they are in now (what scope a match has); and the children
// born on any of its (village, birth date) pairs (children_village_birth: one range per pair). That index is
// forced: left to itself MariaDB weighs every index on village_code (and index merges) for each pair of the
// OR, and planning 64 pairs cost it twice as much as running them (about 0.95 against 0.5 ms per statement,
// measured alone on 50,000 children).
constexpr absl::string_view kChildMatchesByResidentHash =
    "SELECT c.id, c.village_code, COALESCE(cs.organisation_id, ''), c.resident_id_hash FROM children c "
    "LEFT JOIN cases cs ON cs.id = c.current_case_id WHERE c.resident_id_hash IN (";
constexpr absl::string_view kChildrenBornOnAny =
    "SELECT c.id, c.village_code, COALESCE(cs.organisation_id, ''), c.birth_date, c.name FROM children c "
    "FORCE INDEX (children_village_birth) LEFT JOIN cases cs ON cs.id = c.current_case_id WHERE ";
constexpr absl::string_view kChildMatchById =
    "SELECT c.id, c.village_code, COALESCE(cs.organisation_id, '') FROM children c "
    "LEFT JOIN cases cs ON cs.id = c.current_case_id WHERE c.id = ?";
constexpr absl::string_view kChildMatchesById =
    "SELECT c.id, c.village_code, COALESCE(cs.organisation_id, '') FROM children c "
    "LEFT JOIN cases cs ON cs.id = c.current_case_id WHERE c.id IN (";

// Reads that lock nothing take a referral row with where its linked child lies now (two primary-key
// lookups), in columns 14 and 15.
constexpr absl::string_view kReferralById =
    "SELECT r.id, r.status, r.referring_org, r.assigned_org, r.source, r.village_code, r.details, "
    "r.resident_id_sealed, r.linked_child_id, r.possible_duplicates, r.decision_reason, r.case_id, "
    "r.submitted_at, r.decided_at, lc.village_code, COALESCE(lcs.organisation_id, '') "
    "FROM referrals r LEFT JOIN children lc ON lc.id = r.linked_child_id "
    "LEFT JOIN cases lcs ON lcs.id = lc.current_case_id "
    "WHERE r.id = ?";
// Locks the referral row alone: the accept locks the child row itself, after deciding which child it is.
constexpr absl::string_view kReferralByIdForUpdate =
    "SELECT r.id, r.status, r.referring_org, r.assigned_org, r.source, r.village_code, r.details, "
    "r.resident_id_sealed, r.linked_child_id, r.possible_duplicates, r.decision_reason, r.case_id, "
    "r.submitted_at, r.decided_at "
    "FROM referrals r WHERE r.id = ? FOR UPDATE";
// `(? OR …)`: the first parameter is 1 when the filter is not set.
constexpr absl::string_view kListReferrals =
    "SELECT r.id, r.status, r.referring_org, r.assigned_org, r.source, r.village_code, r.details, "
    "r.resident_id_sealed, r.linked_child_id, r.possible_duplicates, r.decision_reason, r.case_id, "
    "r.submitted_at, r.decided_at, lc.village_code, COALESCE(lcs.organisation_id, '') "
    "FROM referrals r LEFT JOIN children lc ON lc.id = r.linked_child_id "
    "LEFT JOIN cases lcs ON lcs.id = lc.current_case_id "
    "WHERE r.village_code >= ? AND r.village_code < ? AND r.id > ? AND (? OR r.status = ?) "
    "AND (? OR r.referring_org = ? OR r.assigned_org = ?) ORDER BY r.id LIMIT ?";
constexpr absl::string_view kListIncomingReferrals =
    "SELECT r.id, r.status, r.referring_org, r.assigned_org, r.source, r.village_code, r.details, "
    "r.resident_id_sealed, r.linked_child_id, r.possible_duplicates, r.decision_reason, r.case_id, "
    "r.submitted_at, r.decided_at, lc.village_code, COALESCE(lcs.organisation_id, '') "
    "FROM referrals r LEFT JOIN children lc ON lc.id = r.linked_child_id "
    "LEFT JOIN cases lcs ON lcs.id = lc.current_case_id "
    "WHERE r.linked_village_code >= ? AND r.linked_village_code < ? AND r.id > ? AND (? OR r.status = ?) "
    "AND (? OR lcs.organisation_id = ?) ORDER BY r.id LIMIT ?";
constexpr absl::string_view kInsertReferral =
    "INSERT INTO referrals (id, status, referring_org, assigned_org, submitted_by, source, village_code, "
    "details, resident_id_sealed, resident_id_hash, linked_child_id, linked_village_code, "
    "possible_duplicates, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kReferralResidentId = "SELECT resident_id_sealed FROM referrals WHERE id = ?";
constexpr absl::string_view kUpdateReferral =
    "UPDATE referrals SET status = ?, assigned_org = ?, decision_reason = ?, case_id = ?, decided_at = ? "
    "WHERE id = ?";
constexpr absl::string_view kInsertReferralHistory =
    "INSERT INTO referral_history (id, referral_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?, ?)";

constexpr absl::string_view kInsertChild =
    "INSERT INTO children (id, name, sex, birth_date, resident_id_sealed, resident_id_hash, village_code, "
    "address_detail, latitude, longitude, categories, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kChildCurrentCaseForUpdate =
    "SELECT c.current_case_id, cs.status, c.village_code, cs.organisation_id FROM children c "
    "LEFT JOIN cases cs ON cs.id = c.current_case_id WHERE c.id = ? FOR UPDATE";
constexpr absl::string_view kSetCurrentCase =
    "UPDATE children SET current_case_id = ?, updated_at = ? WHERE id = ?";
// Children with their case and guardians, a row per guardian; completed by a padded list of ids
// (common/batch_statements.h). The access log reads a batch's children with one of these (GetChild).
constexpr absl::string_view kChildrenWithGuardians =
    "SELECT c.id, c.name, c.sex, c.birth_date, c.resident_id_sealed, c.village_code, c.address_detail, "
    "c.latitude, c.longitude, c.categories, c.current_case_id, cs.status, cs.risk_level, cs.organisation_id, "
    "g.name, g.relationship, g.status, g.id "
    "FROM children c LEFT JOIN cases cs ON cs.id = c.current_case_id LEFT JOIN guardians g ON g.child_id = "
    "c.id "
    "WHERE c.id IN (";
// At most this many children a statement: seven texts (1 to 64) on the log writer's connection, beside its
// INSERTs' 78 and its turn's two (migration 0049), within the 128 a connection keeps (db.h).
constexpr size_t kMaxChildrenPerRead = 64;
constexpr absl::string_view kSearchChildren =
    "SELECT c.id, c.name, c.sex, c.birth_date, c.village_code, c.categories, c.current_case_id, cs.status, "
    "cs.risk_level, cs.organisation_id "
    "FROM children c LEFT JOIN cases cs ON cs.id = c.current_case_id "
    "WHERE c.village_code >= ? AND c.village_code < ? AND c.id > ? "
    "AND (? OR FIND_IN_SET(?, c.categories)) "
    "AND (? OR cs.risk_level = ?) AND (? OR cs.status = ?) AND (? OR cs.organisation_id = ?) "
    "ORDER BY c.id LIMIT ?";
// Within one county (a county's or a township's prefix): the county's children in id order from the page's
// start (children_county_id, migration 0040), so a page reads its rows and the few the filters drop, not
// the whole county sorted. The first parameter is the county.
// Category filters here and below read the child's own category list (`categories`, written with the child
// beside its child_categories rows and never changed), not an EXISTS on child_categories: MariaDB turns that
// EXISTS into an IN and materialises it, hashing every child of the category in the whole table (44,000 rows
// at 203,000 children) for each page; it was half of MariaDB's time in the county search (perf, issue 14).
constexpr absl::string_view kSearchChildrenInCounty =
    "SELECT c.id, c.name, c.sex, c.birth_date, c.village_code, c.categories, c.current_case_id, cs.status, "
    "cs.risk_level, cs.organisation_id "
    "FROM children c FORCE INDEX (children_county_id) LEFT JOIN cases cs ON cs.id = c.current_case_id "
    "WHERE c.county_code = ? AND c.village_code >= ? AND c.village_code < ? AND c.id > ? "
    "AND (? OR FIND_IN_SET(?, c.categories)) "
    "AND (? OR cs.risk_level = ?) AND (? OR cs.status = ?) AND (? OR cs.organisation_id = ?) "
    "ORDER BY c.id LIMIT ?";
// Within one county with a filter on the case (risk, status, organisation): the county's current cases of
// that organisation, grade or status in child order, from the index that filter leads (migration 0046), so a
// page reads its own entries and stops (with 0042's one index for all three it read every case the filter
// dropped: 793 entries a page in the registry benchmark). With several case filters the organisation leads,
// then the grade, then the status; the others are tested on the entry, which covers them. Children without a
// current case match no case filter, as in the LEFT JOIN above. The parameters: the county, the leading
// filter's value, then those of kSearchChildren, then the prefix's range again (for the child's village).
// The child is read by its primary key (FORCE INDEX (PRIMARY)): its village range would otherwise make
// MariaDB estimate a range on each of children's three village indexes at every execution, for a table it
// then reads by primary key all the same (11 us of a 160 us page measured alone, 7%).
constexpr absl::string_view kSearchOrganisationCasesInCounty =
    "SELECT STRAIGHT_JOIN c.id, c.name, c.sex, c.birth_date, c.village_code, c.categories, "
    "c.current_case_id, cs.status, cs.risk_level, cs.organisation_id "
    "FROM cases cs FORCE INDEX (cases_county_organisation_child) JOIN children c FORCE INDEX (PRIMARY) "
    "ON c.id = cs.child_id "
    "WHERE cs.is_current = 1 AND cs.county_code = ? AND cs.organisation_id = ? "
    "AND cs.village_code >= ? AND cs.village_code < ? AND cs.child_id > ? "
    "AND (? OR FIND_IN_SET(?, c.categories)) "
    "AND (? OR cs.risk_level = ?) AND (? OR cs.status = ?) AND (? OR cs.organisation_id = ?) "
    "AND c.village_code >= ? AND c.village_code < ? "
    "ORDER BY cs.child_id LIMIT ?";
constexpr absl::string_view kSearchRiskCasesInCounty =
    "SELECT STRAIGHT_JOIN c.id, c.name, c.sex, c.birth_date, c.village_code, c.categories, "
    "c.current_case_id, cs.status, cs.risk_level, cs.organisation_id "
    "FROM cases cs FORCE INDEX (cases_county_risk_child) JOIN children c FORCE INDEX (PRIMARY) "
    "ON c.id = cs.child_id "
    "WHERE cs.is_current = 1 AND cs.county_code = ? AND cs.risk_level = ? "
    "AND cs.village_code >= ? AND cs.village_code < ? AND cs.child_id > ? "
    "AND (? OR FIND_IN_SET(?, c.categories)) "
    "AND (? OR cs.risk_level = ?) AND (? OR cs.status = ?) AND (? OR cs.organisation_id = ?) "
    "AND c.village_code >= ? AND c.village_code < ? "
    "ORDER BY cs.child_id LIMIT ?";
constexpr absl::string_view kSearchStatusCasesInCounty =
    "SELECT STRAIGHT_JOIN c.id, c.name, c.sex, c.birth_date, c.village_code, c.categories, "
    "c.current_case_id, cs.status, cs.risk_level, cs.organisation_id "
    "FROM cases cs FORCE INDEX (cases_county_status_child) JOIN children c FORCE INDEX (PRIMARY) "
    "ON c.id = cs.child_id "
    "WHERE cs.is_current = 1 AND cs.county_code = ? AND cs.status = ? "
    "AND cs.village_code >= ? AND cs.village_code < ? AND cs.child_id > ? "
    "AND (? OR FIND_IN_SET(?, c.categories)) "
    "AND (? OR cs.risk_level = ?) AND (? OR cs.status = ?) AND (? OR cs.organisation_id = ?) "
    "AND c.village_code >= ? AND c.village_code < ? "
    "ORDER BY cs.child_id LIMIT ?";
// Within one county by category alone, or by category and case filters when the category is the smaller
// set: the county's children of that category in id order, a range of county_category_children's primary key
// (migration 0047) that stops at the page's last row, the village tested on the entry; then the page's rows,
// and the case's grade and status tested on the joined case when asked. Walking the county index and testing
// each entry's category list (0042) read every child without the category ahead of the page: 3,300 entries a
// page in the registry benchmark. With a case filter, whichever of the two is the smaller set in the county
// leads (ChooseCountySearchLead, on the county's counts): led by the status index, a page of "de facto
// unsupported, active" read the county's active cases and dropped each whose child lacked the category (on
// the full-size data set, issue 14, every case active and 18% of 会泽县's children de facto unsupported: 274
// cases and their children for a page of 50, against 50 and 50 this way); led by the grade, a page of "street
// children, high risk" would read all of a county's high-risk cases (some 3,500 of 会泽县's) to find its few
// street children (1%), where the category's 250 rows hold them all. An organisation, when given, always
// leads: an NGO's cases in a county are few. The parameters: the county, the category, the prefix's range,
// the page's start, whether any grade will do and the grade, whether any status will do and the status, the
// limit.
constexpr absl::string_view kSearchCategoryInCounty =
    "SELECT STRAIGHT_JOIN c.id, c.name, c.sex, c.birth_date, c.village_code, c.categories, "
    "c.current_case_id, cs.status, cs.risk_level, cs.organisation_id "
    "FROM county_category_children k JOIN children c ON c.id = k.child_id "
    "LEFT JOIN cases cs ON cs.id = c.current_case_id "
    "WHERE k.county_code = ? AND k.category = ? AND k.village_code >= ? AND k.village_code < ? "
    "AND k.child_id > ? AND (? OR cs.risk_level = ?) AND (? OR cs.status = ?) ORDER BY k.child_id LIMIT ?";

constexpr absl::string_view kCaseById =
    "SELECT id, child_id, referral_id, organisation_id, caseworker_id, status, risk_level, care_type, "
    "caregiver, "
    "care_effective_date, village_code, opened_at, closed_at, close_reason, is_current FROM cases WHERE id = "
    "?";
constexpr absl::string_view kCaseByIdForUpdate =
    "SELECT id, child_id, referral_id, organisation_id, caseworker_id, status, risk_level, care_type, "
    "caregiver, "
    "care_effective_date, village_code, opened_at, closed_at, close_reason, is_current FROM cases WHERE id = "
    "? "
    "FOR UPDATE";
constexpr absl::string_view kCaseHistory =
    "SELECT at, actor, action, from_status, to_status, detail FROM case_history WHERE case_id = ? ORDER BY "
    "id";
constexpr absl::string_view kInsertCase =
    "INSERT INTO cases (id, child_id, referral_id, organisation_id, caseworker_id, status, risk_level, "
    "village_code, "
    "opened_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kUpdateCase =
    "UPDATE cases SET organisation_id = ?, caseworker_id = ?, village_code = ?, status = ?, risk_level = ?, "
    "care_type = ?, caregiver = ?, care_effective_date = ?, closed_at = ?, close_reason = ?, updated_at = ? "
    "WHERE id = ?";

// A new case is its child's current one (column default); the one it replaces no longer is.
constexpr absl::string_view kRetireEarlierCases =
    "UPDATE cases SET is_current = 0 WHERE child_id = ? AND id <> ? AND is_current = 1";

// The access log is a row per read naming its records (migration 0044); an auditor pages through entries,
// one per record read, whose ids sort as (read, position in the read). A page resumes inside the read that
// holds the last entry shown: the one with the greatest id not after it.
constexpr absl::string_view kAccessReadHolding =
    "SELECT COALESCE(MAX(id), '') FROM pii_access_reads WHERE id <= ?";
// By subject and/or division: reads in id order whose records all lie in a division that overlaps the
// requested one: a division inside it (a range of access_reads_scope) or one of its ancestors (a county
// search's page for a township's auditor; the IN list holds the requested prefix's shorter prefixes, padded).
// MariaDB picks the subject's range, the scope's ranges, or the log in id order, by the request's values.
constexpr size_t kScopeAncestors = 12;
constexpr absl::string_view kAccessReadsFrom =
    "SELECT id, at, subject, organisation_id, record_type, fields, purpose, method, records "
    "FROM pii_access_reads WHERE (id = ? OR id > ?) AND (? = '' OR subject = ?) "
    "AND ((scope >= ? AND scope < ?) OR scope IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)) ORDER BY id LIMIT ?";
// By record, among the reads logged before migration 0050: the narrow table's range for the record (its
// primary key), then each read by its primary key.
constexpr absl::string_view kAccessReadsOfRecordBeforeWeeks =
    "SELECT r.id, r.at, r.subject, r.organisation_id, r.record_type, r.fields, r.purpose, r.method, "
    "r.records "
    "FROM pii_access_records a JOIN pii_access_reads r ON r.id = a.log_id "
    "WHERE a.record_id = ? AND (a.log_id = ? OR a.log_id > ?) AND (? = '' OR r.subject = ?) "
    "ORDER BY a.log_id LIMIT ?";
// The first and last weeks "who read this record" holds reads under (both ends of its primary key).
constexpr absl::string_view kAccessRecordWeeks =
    "SELECT MIN(week), MAX(week) FROM pii_access_records_by_week";
// By record, since migration 0050: for each week from the first to the last asked (a recursive CTE: one text,
// however many weeks), the record's range in that week (its primary key alone), those log ids sorted, and
// then the reads in that order by their primary key until `fetch` are taken: a record read thousands of times
// costs its ids, not thousands of reads looked up (a subject the reads do not match is checked on each, as it
// was before 0050). The derived table's LIMIT (no limit at all) keeps MariaDB from merging it into the join,
// which would sort the joined rows, records column and all, instead of the ids (EXPLAIN: filesort on the ids
// only).
constexpr absl::string_view kAccessReadsOfRecordByWeek =
    "WITH RECURSIVE weeks (week) AS (SELECT CAST(? AS UNSIGNED) UNION ALL "
    "SELECT week + 1 FROM weeks WHERE week < ?) "
    "SELECT r.id, r.at, r.subject, r.organisation_id, r.record_type, r.fields, r.purpose, r.method, "
    "r.records FROM ("
    "SELECT a.log_id FROM weeks JOIN pii_access_records_by_week a ON a.week = weeks.week AND a.record_id = ? "
    "WHERE a.log_id = ? OR a.log_id > ? LIMIT 18446744073709551615) x "
    "JOIN pii_access_reads r ON r.id = x.log_id WHERE (? = '' OR r.subject = ?) ORDER BY x.log_id LIMIT ?";

// ---- mapping
// --------------------------------------------------------------------------------------------------

// An instant column into a Timestamp field only when it holds a time: an instant that has not happened yet
// (a referral not decided, a case still open) stays absent, never 1970-01-01.
template <typename MutableField>
absl::Status ReadInstant(const db::Row& row, size_t column, MutableField field) {
  if (row.IsNull(column)) return absl::OkStatus();
  return ReadTimestamp(row, column, field());
}

// A filter's "not set" flag, for SQL of the form `(? OR column = ?)`: no enum number is written into the SQL.
db::Value Any(bool unset) { return int64_t{unset ? 1 : 0}; }

db::Value OrNull(const std::string& text) { return text.empty() ? db::Value(db::Null{}) : db::Value(text); }

// `referrals.details` holds a storage::v1::ReferralDetails: the particulars that have no column, in a message
// private to this store (so the stored data changes only with a migration, never with the API). Rows written
// before it hold a v1::Referral with the same field numbers, which parse as the same particulars.
std::string DetailsOf(const v1::Referral& r) {
  storage::v1::ReferralDetails d;
  d.set_source(r.source());
  d.mutable_child()->set_name(r.child().name());
  d.mutable_child()->set_sex(r.child().sex());
  d.mutable_child()->set_birth_date(r.child().birth_date());
  const v1::Household& h = r.household();
  auto* household = d.mutable_household();
  household->set_village_code(h.village_code());
  household->set_address_detail(h.address_detail());
  if (h.has_latitude()) household->set_latitude(h.latitude());
  if (h.has_longitude()) household->set_longitude(h.longitude());
  for (const v1::Guardian& g : r.guardians()) {
    auto* guardian = d.add_guardians();
    guardian->set_name(g.name());
    guardian->set_relationship(g.relationship());
    guardian->set_status(g.status());
  }
  for (int category : r.categories()) d.add_categories(category);
  d.set_reason(r.reason());
  d.set_observed_risk(r.observed_risk());
  return d.SerializeAsString();
}

absl::Status ReadDetails(const std::string& bytes, v1::Referral& r) {
  storage::v1::ReferralDetails d;
  if (!d.ParseFromString(bytes)) return absl::DataLossError("unreadable referral details");
  r.set_source(static_cast<v1::ReferralSource>(d.source()));
  r.mutable_child()->set_name(d.child().name());
  r.mutable_child()->set_sex(static_cast<v1::Sex>(d.child().sex()));
  r.mutable_child()->set_birth_date(d.child().birth_date());
  v1::Household& h = *r.mutable_household();
  h.set_village_code(d.household().village_code());
  h.set_address_detail(d.household().address_detail());
  if (d.household().has_latitude()) h.set_latitude(d.household().latitude());
  if (d.household().has_longitude()) h.set_longitude(d.household().longitude());
  for (const auto& g : d.guardians()) {
    v1::Guardian& guardian = *r.add_guardians();
    guardian.set_name(g.name());
    guardian.set_relationship(static_cast<v1::GuardianRelationship>(g.relationship()));
    guardian.set_status(static_cast<v1::GuardianStatus>(g.status()));
  }
  for (int category : d.categories()) r.add_categories(static_cast<v1::ChildCategory>(category));
  r.set_reason(d.reason());
  r.set_observed_risk(static_cast<v1::RiskLevel>(d.observed_risk()));
  return absl::OkStatus();
}

ChildMatch MatchFromRow(const db::Row& row) { return {row.String(0), row.String(1), row.String(2)}; }

void ParseCategories(const std::string& text, v1::Child* child) {
  for (int category : CategoryListValues(text)) {
    child->add_categories(static_cast<v1::ChildCategory>(category));
  }
}

v1::Division DivisionFromRow(const db::Row& row) {
  v1::Division d;
  d.set_code(row.String(0));
  d.set_name(row.String(1));
  d.set_level(static_cast<v1::DivisionLevel>(row.Int(2)));
  d.set_parent_code(row.String(3));
  return d;
}

v1::CaseHistoryEntry HistoryFromRow(const db::Row& row) {
  v1::CaseHistoryEntry e;
  if (auto at = FromSqlTimestamp(row.String(0)); at.ok()) *e.mutable_at() = ToProtoTimestamp(*at);
  e.set_actor(row.String(1));
  e.set_action(row.String(2));
  e.set_from_status(static_cast<v1::CaseStatus>(row.Int(3)));
  e.set_to_status(static_cast<v1::CaseStatus>(row.Int(4)));
  e.set_detail(row.String(5));
  return e;
}

// A record's reads, the first `fetch` in id order from `equal` (when given) or after `after`, read from both
// tables of "who read this record" (migration 0050: the reads before it stay in pii_access_records) and
// merged. By week only from `after`'s week on: no read after it was logged in an earlier week.
absl::StatusOr<db::Rows> ReadsOfRecord(db::Session& s, const std::string& record_id,
                                       const std::string& subject, const std::string& equal,
                                       const std::string& after, int64_t fetch) {
  ASSIGN_OR_RETURN(db::Rows before, s.Query(kAccessReadsOfRecordBeforeWeeks,
                                            {record_id, equal, after, subject, subject, fetch}));
  ASSIGN_OR_RETURN(std::optional<db::Row> weeks, s.QueryOne(kAccessRecordWeeks));
  if (!weeks || weeks->IsNull(0)) return before;
  int64_t first = weeks->Int(0);
  if (!after.empty()) {
    ASSIGN_OR_RETURN(const int64_t after_week, AccessLogWeek(after, "page_token"));
    first = std::max(first, after_week);
  }
  const int64_t last = weeks->Int(1);
  if (first > last) return before;
  ASSIGN_OR_RETURN(db::Rows by_week, s.Query(kAccessReadsOfRecordByWeek, {first, last, record_id, equal,
                                                                          after, subject, subject, fetch}));
  if (before.empty()) return by_week;
  db::Rows merged;
  merged.reserve(std::min(before.size() + by_week.size(), static_cast<size_t>(fetch)));
  std::merge(std::make_move_iterator(before.begin()), std::make_move_iterator(before.end()),
             std::make_move_iterator(by_week.begin()), std::make_move_iterator(by_week.end()),
             std::back_inserter(merged),
             [](const db::Row& a, const db::Row& b) { return a.String(0) < b.String(0); });
  if (merged.size() > static_cast<size_t>(fetch)) merged.erase(merged.begin() + fetch, merged.end());
  return merged;
}

}  // namespace

MariaDbRegistryStore::MariaDbRegistryStore(db::Pool& pool, const Clock& clock, IdGenerator& ids,
                                           PiiCrypto crypto, LogNode access_log_node, Metrics* metrics)
    : pool_(pool),
      clock_(clock),
      ids_(ids),
      crypto_(std::move(crypto)),
      outbox_(pool, ids),
      access_log_(
          pool, clock, ids,
          [this](db::Session& s, const std::vector<std::string>& child_ids) {
            return ReadChildren(s, child_ids);
          },
          access_log_node, metrics) {}

MariaDbRegistryStore::~MariaDbRegistryStore() = default;

// ---- divisions
// ------------------------------------------------------------------------------------------------

absl::StatusOr<std::optional<v1::Division>> MariaDbRegistryStore::GetDivision(const std::string& code) {
  if (std::optional<v1::Division> known = KnownDivision(code)) return known;
  std::optional<v1::Division> division;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kGetDivision, {code}));
    if (row) division = DivisionFromRow(*row);
    return absl::OkStatus();
  }));
  if (division) {
    absl::MutexLock lock(&divisions_mu_);
    known_divisions_.emplace(code, *division);
  }
  return division;
}

std::optional<v1::Division> MariaDbRegistryStore::KnownDivision(const std::string& code) {
  absl::MutexLock lock(&divisions_mu_);
  auto cached = known_divisions_.find(code);
  if (cached == known_divisions_.end()) return std::nullopt;
  return cached->second;
}

absl::StatusOr<std::vector<v1::Division>> MariaDbRegistryStore::ListChildDivisions(
    const std::string& parent_code, const std::string& after_code, int limit) {
  std::vector<v1::Division> divisions;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kListChildDivisions, {parent_code, after_code, int64_t{limit}}));
    for (const auto& row : rows) divisions.push_back(DivisionFromRow(row));
    return absl::OkStatus();
  }));
  return divisions;
}

// ---- duplicates
// -----------------------------------------------------------------------------------------------

absl::StatusOr<std::vector<ReferralRecord>> MariaDbRegistryStore::MatchSubmissions(
    db::Session& tx, const std::vector<const ReferralRecord*>& submissions) {
  std::vector<ReferralRecord> matched;
  matched.reserve(submissions.size());
  for (const ReferralRecord* s : submissions) {
    matched.push_back(*s);
    matched.back().linked.reset();
    matched.back().possible_duplicates.clear();
  }
  // The same resident id is the same child, wherever they are registered.
  std::vector<db::Value> hashes;
  std::vector<std::string> hash_of(matched.size());
  for (size_t i = 0; i < matched.size(); ++i) {
    const std::string& resident_id = matched[i].referral.child().resident_id();
    if (resident_id.empty()) continue;
    hash_of[i] = crypto_.LookupHash(resident_id);
    hashes.push_back(hash_of[i]);
  }
  if (!hashes.empty()) {
    // Padded to a power of two (common/batch_statements.h): a few statement texts per pooled connection.
    const size_t count = hashes.size();
    db::PadEntries(hashes, 0, 1, count);
    ASSIGN_OR_RETURN(
        db::Rows rows,
        tx.Query(absl::StrCat(kChildMatchesByResidentHash, db::PaddedList("?", ", ", count), ")"), hashes));
    absl::flat_hash_map<std::string, ChildMatch> by_hash;
    for (const db::Row& row : rows) by_hash.emplace(row.String(3), MatchFromRow(row));
    for (size_t i = 0; i < matched.size(); ++i) {
      if (hash_of[i].empty()) continue;
      auto found = by_hash.find(hash_of[i]);
      if (found != by_hash.end()) matched[i].linked = found->second;
    }
  }
  // The rest: similar names among the children of the same village and birth date, flagged for the triager.
  std::vector<db::Value> places;
  for (const ReferralRecord& r : matched) {
    if (r.linked) continue;
    places.push_back(r.referral.household().village_code());
    places.push_back(r.referral.child().birth_date());
  }
  if (places.empty()) return matched;
  const size_t pairs = places.size() / 2;
  db::PadEntries(places, 0, 2, pairs);
  ASSIGN_OR_RETURN(
      db::Rows rows,
      tx.Query(absl::StrCat(kChildrenBornOnAny,
                            db::PaddedList("(c.village_code = ? AND c.birth_date = ?)", " OR ", pairs),
                            " ORDER BY c.id"),
               places));
  // In id order within each village and birth date, as the rows came.
  std::map<std::pair<std::string, std::string>, std::vector<DuplicateCandidate>> born;
  for (const db::Row& row : rows) {
    born[{row.String(1), row.String(3)}].push_back({MatchFromRow(row), row.String(4)});
  }
  for (ReferralRecord& r : matched) {
    if (r.linked) continue;
    auto found = born.find({r.referral.household().village_code(), r.referral.child().birth_date()});
    if (found != born.end())
      r.possible_duplicates = PossibleDuplicates(r.referral.child().name(), found->second);
  }
  return matched;
}

// ---- referrals
// ------------------------------------------------------------------------------------------------

MariaDbRegistryStore::PreparedReferral MariaDbRegistryStore::PrepareReferral(const Actor& actor,
                                                                             ReferralRecord stored,
                                                                             const ShowReferral& show) {
  const v1::Referral& referral = stored.referral;
  const std::string& resident_id = referral.child().resident_id();
  // Microseconds, as the column keeps it, so this answer equals what a later read returns.
  const absl::Time now = TruncateToMicros(actor.at);
  std::vector<std::string> possible_duplicates;
  for (const auto& m : stored.possible_duplicates) possible_duplicates.push_back(m.child_id);
  v1::Referral& r = stored.referral;
  r.set_referral_id(ids_.Next());
  r.set_status(v1::REFERRAL_STATUS_PENDING);
  r.set_referring_organisation_id(actor.organisation_id);
  r.set_assigned_organisation_id(actor.organisation_id);
  *r.mutable_submitted_at() = ToProtoTimestamp(now);
  db::Value sealed = db::Null{}, hash = db::Null{};
  if (!resident_id.empty()) {
    sealed = crypto_.Seal(resident_id, r.referral_id());
    hash = crypto_.LookupHash(resident_id);
  }
  const ChildMatch linked = stored.linked.value_or(ChildMatch());
  PreparedReferral prepared;
  prepared.referral = {r.referral_id(),
                       int64_t{r.status()},
                       actor.organisation_id,
                       actor.organisation_id,
                       actor.subject,
                       int64_t{referral.source()},
                       referral.household().village_code(),
                       DetailsOf(referral),
                       sealed,
                       hash,
                       OrNull(linked.child_id),
                       OrNull(linked.village_code),
                       absl::StrJoin(possible_duplicates, ","),
                       ToSqlTimestamp(now)};
  prepared.history = {ids_.Next(),   r.referral_id(),          ToSqlTimestamp(now),
                      actor.subject, std::string("submitted"), std::string()};
  // The answer is what is written, as the submitter sees it; no second read.
  *prepared.answer.mutable_referral() = show(stored);
  prepared.answer.mutable_referral()->mutable_child()->clear_resident_id();
  return prepared;
}

absl::StatusOr<v1::SubmitReferralResponse> MariaDbRegistryStore::SubmitReferral(
    const IdempotencyKey& key, const Actor& actor, const ReferralRecord& submission,
    const ShowReferral& show) {
  return IdempotentTransaction<v1::SubmitReferralResponse>(
      pool_, key, TruncateToMicros(actor.at),
      [&](db::Session& tx) -> absl::StatusOr<v1::SubmitReferralResponse> {
        ASSIGN_OR_RETURN(std::vector<ReferralRecord> matched, MatchSubmissions(tx, {&submission}));
        PreparedReferral prepared = PrepareReferral(actor, std::move(matched[0]), show);
        RETURN_IF_ERROR(tx.Execute(kInsertReferral, prepared.referral).status());
        RETURN_IF_ERROR(tx.Execute(kInsertReferralHistory, prepared.history).status());
        return std::move(prepared.answer);
      });
}

std::vector<absl::StatusOr<v1::SubmitReferralResponse>> MariaDbRegistryStore::SubmitReferrals(
    const std::vector<ReferralOrder>& orders, const std::function<void()>& committing) {
  return CommitTogetherElseAlone<v1::SubmitReferralResponse>(
      pool_, orders,
      [&](db::Session& tx, std::vector<std::optional<absl::StatusOr<v1::SubmitReferralResponse>>>& answers) {
        // Each slice's statements are their own text, prepared on every pooled connection that runs one:
        // slices of a power-of-two size keep those texts to a handful per kind (a text per batch size made
        // hundreds per connection, and the registry's memory grew with them), still one commit per batch.
        // The whole batch matched at once (retries among it too: they are rare, and answered from their
        // records all the same).
        std::vector<const ReferralRecord*> submissions;
        submissions.reserve(orders.size());
        for (const ReferralOrder& o : orders) submissions.push_back(&o.submission);
        ASSIGN_OR_RETURN(std::vector<ReferralRecord> matched, MatchSubmissions(tx, submissions));
        BatchKeys seen;
        for (size_t from = 0; from < orders.size();) {
          size_t slice = 1;
          while (slice * 2 <= orders.size() - from) slice *= 2;
          RETURN_IF_ERROR(SubmitBatch(tx, orders, matched, from, slice, seen, answers));
          from += slice;
        }
        return absl::OkStatus();
      },
      [&](const ReferralOrder& o) { return SubmitReferral(o.key, o.actor, o.submission, o.show); },
      committing);
}

absl::Status MariaDbRegistryStore::SubmitBatch(
    db::Session& tx, const std::vector<ReferralOrder>& orders, std::vector<ReferralRecord>& matched,
    size_t from, size_t count, BatchKeys& seen,
    std::vector<std::optional<absl::StatusOr<v1::SubmitReferralResponse>>>& answers) {
  std::vector<const IdempotencyKey*> keys;
  keys.reserve(count);
  for (size_t i = from; i < from + count; ++i) keys.push_back(&orders[i].key);
  ASSIGN_OR_RETURN(std::vector<size_t> live,
                   SortOutRetries(tx, keys, seen, [&](size_t k, absl::StatusOr<std::string> recorded) {
                     answers[from + k] = ParseRecorded<v1::SubmitReferralResponse>(std::move(recorded));
                   }));
  std::string referral_sql(kInsertReferral), history_sql(kInsertReferralHistory);
  std::vector<db::Value> referral_params, history_params;
  std::vector<FirstAnswer> first_answers;
  std::vector<std::pair<size_t, v1::SubmitReferralResponse>> written;
  for (size_t k : live) {
    const size_t i = from + k;
    PreparedReferral prepared = PrepareReferral(orders[i].actor, std::move(matched[i]), orders[i].show);
    // One multi-row INSERT per table: the single statements' text with a row tuple per further referral.
    if (!written.empty()) {
      absl::StrAppend(&referral_sql, ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      absl::StrAppend(&history_sql, ", (?, ?, ?, ?, ?, ?)");
    }
    std::move(prepared.referral.begin(), prepared.referral.end(), std::back_inserter(referral_params));
    std::move(prepared.history.begin(), prepared.history.end(), std::back_inserter(history_params));
    written.emplace_back(i, std::move(prepared.answer));
  }
  if (written.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(tx.Execute(referral_sql, referral_params).status());
  RETURN_IF_ERROR(tx.Execute(history_sql, history_params).status());
  first_answers.reserve(written.size());
  for (const auto& [i, answer] : written) {
    first_answers.push_back(
        {&orders[i].key, answer.SerializeAsString(), TruncateToMicros(orders[i].actor.at)});
  }
  // ALREADY_EXISTS when a key was recorded meanwhile (another replica): the batch rolls back and its orders
  // run alone, that one answered from its record.
  RETURN_IF_ERROR(RecordFirstAnswers(tx, first_answers));
  for (auto& [i, answer] : written) answers[i] = std::move(answer);
  return absl::OkStatus();
}

absl::StatusOr<ReferralRecord> MariaDbRegistryStore::RecordFromRow(const db::Row& row) {
  ReferralRecord record;
  v1::Referral& r = record.referral;
  RETURN_IF_ERROR(ReadDetails(row.String(6), r));
  r.set_referral_id(row.String(0));
  r.set_status(static_cast<v1::ReferralStatus>(row.Int(1)));
  r.set_referring_organisation_id(row.String(2));
  r.set_assigned_organisation_id(row.String(3));
  r.set_source(static_cast<v1::ReferralSource>(row.Int(4)));
  r.mutable_household()->set_village_code(row.String(5));
  if (!row.IsNull(7)) {
    ASSIGN_OR_RETURN(std::string resident_id, crypto_.Open(row.String(7), r.referral_id()));
    r.mutable_child()->set_resident_id(resident_id);
  }
  if (!row.IsNull(8)) {
    record.linked = ChildMatch{row.String(8), "", ""};
    // Where the linked child lies now, when the read joined it (a deleted child leaves it empty: no scope).
    if (row.size() > 15 && !row.IsNull(14)) {
      record.linked->village_code = row.String(14);
      record.linked->organisation_id = row.String(15);
    }
  }
  // Possible duplicates were found in the referral's own village; where each lies now, and whose case it is
  // in, PlaceDuplicates reads (until then no organisation-bound caller is shown them).
  for (absl::string_view id : absl::StrSplit(row.String(9), ',', absl::SkipEmpty())) {
    record.possible_duplicates.push_back({std::string(id), r.household().village_code(), ""});
  }
  r.set_decision_reason(row.String(10));
  r.set_case_id(row.String(11));
  RETURN_IF_ERROR(ReadInstant(row, 12, [&] { return r.mutable_submitted_at(); }));
  RETURN_IF_ERROR(ReadInstant(row, 13, [&] { return r.mutable_decided_at(); }));
  return record;
}

absl::Status MariaDbRegistryStore::PlaceDuplicates(db::Session& session,
                                                   std::vector<ReferralRecord*> records) {
  std::vector<db::Value> ids;
  for (const ReferralRecord* r : records) {
    for (const ChildMatch& m : r->possible_duplicates) ids.push_back(m.child_id);
  }
  if (ids.empty()) return absl::OkStatus();
  const size_t count = ids.size();
  db::PadEntries(ids, 0, 1, count);
  ASSIGN_OR_RETURN(
      db::Rows rows,
      session.Query(absl::StrCat(kChildMatchesById, db::PaddedList("?", ", ", count), ")"), ids));
  absl::flat_hash_map<std::string, ChildMatch> placed;
  for (const db::Row& row : rows) placed.emplace(row.String(0), MatchFromRow(row));
  for (ReferralRecord* r : records) {
    for (ChildMatch& m : r->possible_duplicates) {
      auto found = placed.find(m.child_id);
      if (found != placed.end()) m = found->second;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ReferralRecord>> MariaDbRegistryStore::ReadReferral(db::Session& session,
                                                                                 const std::string& id,
                                                                                 bool for_update) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   session.QueryOne(for_update ? kReferralByIdForUpdate : kReferralById, {id}));
  if (!row) return std::optional<ReferralRecord>();
  ASSIGN_OR_RETURN(ReferralRecord record, RecordFromRow(*row));
  RETURN_IF_ERROR(PlaceDuplicates(session, {&record}));
  if (for_update && record.linked) {
    ASSIGN_OR_RETURN(std::optional<db::Row> child,
                     session.QueryOne(kChildMatchById, {record.linked->child_id}));
    if (child) record.linked = MatchFromRow(*child);
  }
  return std::optional<ReferralRecord>(std::move(record));
}

absl::StatusOr<std::optional<ReferralRecord>> MariaDbRegistryStore::GetReferral(
    const std::string& referral_id) {
  return db::ReadOne<std::optional<ReferralRecord>>(
      pool_, [&](db::Session& s) { return ReadReferral(s, referral_id, /*for_update=*/false); });
}

absl::StatusOr<std::vector<ReferralRecord>> MariaDbRegistryStore::ListReferrals(const ReferralFilter& f) {
  std::vector<ReferralRecord> referrals;
  const db::Value any_status = Any(f.status == v1::REFERRAL_STATUS_UNSPECIFIED);
  const db::Value any_organisation = Any(f.organisation_id.empty());
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::Rows rows,
        f.incoming ? s.Query(kListIncomingReferrals,
                             {f.division_prefix, DivisionPrefixEnd(f.division_prefix), f.after_id, any_status,
                              int64_t{f.status}, any_organisation, f.organisation_id, int64_t{f.limit}})
                   : s.Query(kListReferrals, {f.division_prefix, DivisionPrefixEnd(f.division_prefix),
                                              f.after_id, any_status, int64_t{f.status}, any_organisation,
                                              f.organisation_id, f.organisation_id, int64_t{f.limit}}));
    for (const auto& row : rows) {
      ASSIGN_OR_RETURN(ReferralRecord record, RecordFromRow(row));
      referrals.push_back(std::move(record));
    }
    std::vector<ReferralRecord*> page;
    for (ReferralRecord& r : referrals) page.push_back(&r);
    return PlaceDuplicates(s, std::move(page));
  }));
  return referrals;
}

absl::Status MariaDbRegistryStore::ApplyReferralChange(db::Session& tx, const Actor& actor,
                                                       const ReferralChange& change) {
  const v1::Referral& r = change.updated;
  RETURN_IF_ERROR(
      tx.Execute(kUpdateReferral,
                 {int64_t{r.status()}, r.assigned_organisation_id(), r.decision_reason(), OrNull(r.case_id()),
                  SqlTimestampOrNull(r.decided_at(), r.has_decided_at()), r.referral_id()})
          .status());
  return tx
      .Execute(kInsertReferralHistory, {ids_.Next(), r.referral_id(), ToSqlTimestamp(actor.at), actor.subject,
                                        change.action, change.detail})
      .status();
}

absl::StatusOr<std::string> MariaDbRegistryStore::CreateOrLinkChild(db::Session& tx, const Actor& actor,
                                                                    const v1::Referral& referral,
                                                                    CountChanges& counts) {
  const std::string& resident_id = referral.child().resident_id();
  const std::string child_id = ids_.Next();
  const std::string now = ToSqlTimestamp(actor.at);
  const auto& h = referral.household();
  db::Value sealed = db::Null{}, hash = db::Null{};
  if (!resident_id.empty()) {
    sealed = crypto_.Seal(resident_id, child_id);
    hash = crypto_.LookupHash(resident_id);
  }
  absl::Status inserted =
      tx.Execute(kInsertChild,
                 {child_id, referral.child().name(), int64_t{referral.child().sex()},
                  referral.child().birth_date(), sealed, hash, h.village_code(), h.address_detail(),
                  h.has_latitude() ? db::Value(h.latitude()) : db::Value(db::Null{}),
                  h.has_longitude() ? db::Value(h.longitude()) : db::Value(db::Null{}),
                  CategoryListText(referral.categories()), now, now})
          .status();
  if (inserted.code() == absl::StatusCode::kAlreadyExists && !resident_id.empty()) {
    // Another accept registered this resident id first (it waited on the unique key until that committed):
    // this referral is about the same child. A plain read sees the committed row (READ COMMITTED); a locking
    // read here would upgrade the duplicate check's shared lock and deadlock with every other waiter. The
    // caller then locks the child by primary key.
    ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kChildByResidentHash, {hash}));
    if (!row) return MarkRetryable(absl::AbortedError("resident id released concurrently"));
    return row->String(0);
  }
  RETURN_IF_ERROR(inserted);
  counts.AddChild(h.village_code(), CategoryListText(referral.categories()), 1);
  for (int category : referral.categories()) {
    RETURN_IF_ERROR(tx.Execute(kInsertChildCategory, {child_id, int64_t{category}}).status());
  }
  std::vector<db::Value> indexed;
  AddCountyCategoryRows(child_id, h.village_code(),
                        absl::MakeConstSpan(referral.categories().data(), referral.categories().size()),
                        indexed);
  RETURN_IF_ERROR(InsertCountyCategoryRows(tx, indexed));
  for (const auto& g : referral.guardians()) {
    RETURN_IF_ERROR(tx.Execute(kInsertGuardian, {ids_.Next(), child_id, g.name(), int64_t{g.relationship()},
                                                 int64_t{g.status()}})
                        .status());
  }
  return child_id;
}

absl::StatusOr<v1::AcceptReferralResponse> MariaDbRegistryStore::AcceptReferral(
    const IdempotencyKey& key, const Actor& actor, const Acceptance& a,
    const Authorize<v1::Referral>& authorize, const CheckChild& check_child) {
  return IdempotentTransaction<v1::AcceptReferralResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::AcceptReferralResponse> {
        const std::string case_id = ids_.Next();
        ASSIGN_OR_RETURN(std::optional<ReferralRecord> referral,
                         ReadReferral(tx, a.referral_id, /*for_update=*/true));
        if (!referral) return absl::NotFoundError("referral not found");
        RETURN_IF_ERROR(authorize(referral->referral));
        ASSIGN_OR_RETURN(ReferralChange decided,
                         registry::AcceptReferral(referral->referral, actor, case_id));
        ASSIGN_OR_RETURN(std::optional<std::string> onto, ChildToAcceptOnto(*referral, a.existing_child_id));
        std::string child_id;
        CountChanges counts;
        if (onto) {
          child_id = *onto;
        } else {
          ASSIGN_OR_RETURN(child_id, CreateOrLinkChild(tx, actor, referral->referral, counts));
        }
        ASSIGN_OR_RETURN(std::optional<db::Row> row, tx.QueryOne(kChildCurrentCaseForUpdate, {child_id}));
        if (!row) return absl::FailedPreconditionError("the linked child no longer exists");
        RegisteredChild child{
            child_id, row->String(2), row->IsNull(3) ? "" : row->String(3),
            row->IsNull(0) ? "" : row->String(0),
            row->IsNull(1) ? v1::CASE_STATUS_UNSPECIFIED : static_cast<v1::CaseStatus>(row->Int(1))};
        RETURN_IF_ERROR(check_child(child));
        if (onto) {
          // The referral says where the child lives now; the registry may still have the home of their
          // earlier case. Accepted as it stood, the case would open in the old village and visitors go there.
          ASSIGN_OR_RETURN(std::optional<ChildHome> home, LockChildHome(tx, child_id));
          if (!home) return absl::FailedPreconditionError("the linked child no longer exists");
          const v1::Household& now_at = referral->referral.household();
          if (IsAnotherHome(home->household, now_at)) {
            RETURN_IF_ERROR(MoveChildHome(tx, child_id, *home, now_at, actor.at, counts));
            child.village_code = now_at.village_code();
          }
        }
        const std::string now_text = ToSqlTimestamp(actor.at);
        RETURN_IF_ERROR(
            tx.Execute(kInsertCase, {case_id, child_id, a.referral_id, a.organisation_id, a.caseworker_id,
                                     int64_t{v1::CASE_STATUS_VERIFYING}, int64_t{a.risk_level},
                                     child.village_code, now_text, now_text})
                .status());
        RETURN_IF_ERROR(tx.Execute(kInsertCaseHistory,
                                   {ids_.Next(), case_id, now_text, actor.subject, std::string("accepted"),
                                    int64_t{v1::CASE_STATUS_UNSPECIFIED}, int64_t{v1::CASE_STATUS_VERIFYING},
                                    absl::StrCat("from referral ", a.referral_id)})
                            .status());
        RETURN_IF_ERROR(tx.Execute(kSetCurrentCase, {case_id, now_text, child_id}).status());
        counts.AddCase({child.village_code, v1::CASE_STATUS_VERIFYING, a.risk_level}, 1);
        if (!child.current_case_id.empty()) {  // a child registered now has no case before this one
          // Locked before they are retired: a change of one of them commits before this reads it, or after
          // this retired it (and then no longer counts it).
          ASSIGN_OR_RETURN(std::vector<CountedCase> retired, LockCurrentCasesOfChild(tx, child_id, case_id));
          for (const CountedCase& c : retired) counts.AddCase(c, -1);
          RETURN_IF_ERROR(tx.Execute(kRetireEarlierCases, {child_id, case_id}).status());
        }
        RETURN_IF_ERROR(ApplyReferralChange(tx, actor, decided));
        RETURN_IF_ERROR(ApplyCountChanges(tx, counts, case_id));
        v1::CaseAccepted event;
        event.set_case_id(case_id);
        event.set_child_id(child_id);
        event.set_organisation_id(a.organisation_id);
        event.set_risk_level(a.risk_level);
        event.set_village_code(child.village_code);
        *event.mutable_at() = ToProtoTimestamp(actor.at);
        RETURN_IF_ERROR(outbox_.Append(tx, case_id, event, actor.at));
        v1::AcceptReferralResponse answer;
        ASSIGN_OR_RETURN(std::optional<v1::Case> c, ReadCase(tx, case_id, /*for_update=*/false, true));
        if (!c) return tx.WriteVanished("the accepted case");
        *answer.mutable_case_() = *std::move(c);
        return answer;
      });
}

absl::StatusOr<v1::Referral> MariaDbRegistryStore::AnswerReferral(db::Session& tx,
                                                                  const std::string& referral_id,
                                                                  const ShowReferral& show) {
  ASSIGN_OR_RETURN(std::optional<ReferralRecord> r, ReadReferral(tx, referral_id, /*for_update=*/false));
  if (!r) return absl::InternalError("decided referral is missing");
  v1::Referral answer = show(*r);
  answer.mutable_child()->clear_resident_id();
  return answer;
}

absl::Status MariaDbRegistryStore::RefillResidentId(v1::Referral& referral) {
  return pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kReferralResidentId, {referral.referral_id()}));
    if (!row || row->IsNull(0)) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::string resident_id, crypto_.Open(row->String(0), referral.referral_id()));
    referral.mutable_child()->set_resident_id(resident_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::RejectReferralResponse> MariaDbRegistryStore::RejectReferral(
    const IdempotencyKey& key, const Actor& actor, const std::string& referral_id, const std::string& reason,
    const Authorize<v1::Referral>& authorize, const ShowReferral& show) {
  ASSIGN_OR_RETURN(
      v1::RejectReferralResponse answer,
      IdempotentTransaction<v1::RejectReferralResponse>(
          pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::RejectReferralResponse> {
            ASSIGN_OR_RETURN(std::optional<ReferralRecord> referral, ReadReferral(tx, referral_id, true));
            if (!referral) return absl::NotFoundError("referral not found");
            RETURN_IF_ERROR(authorize(referral->referral));
            ASSIGN_OR_RETURN(ReferralChange change,
                             registry::RejectReferral(referral->referral, actor, reason));
            RETURN_IF_ERROR(ApplyReferralChange(tx, actor, change));
            v1::RejectReferralResponse out;
            ASSIGN_OR_RETURN(*out.mutable_referral(), AnswerReferral(tx, referral_id, show));
            return out;
          }));
  RETURN_IF_ERROR(RefillResidentId(*answer.mutable_referral()));
  return answer;
}

absl::StatusOr<v1::TransferReferralResponse> MariaDbRegistryStore::TransferReferral(
    const IdempotencyKey& key, const Actor& actor, const std::string& referral_id,
    const std::string& to_organisation_id, const std::string& reason,
    const Authorize<v1::Referral>& authorize, const ShowReferral& show) {
  ASSIGN_OR_RETURN(
      v1::TransferReferralResponse answer,
      IdempotentTransaction<v1::TransferReferralResponse>(
          pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::TransferReferralResponse> {
            ASSIGN_OR_RETURN(std::optional<ReferralRecord> referral, ReadReferral(tx, referral_id, true));
            if (!referral) return absl::NotFoundError("referral not found");
            RETURN_IF_ERROR(authorize(referral->referral));
            ASSIGN_OR_RETURN(ReferralChange change, registry::TransferReferral(referral->referral, actor,
                                                                               to_organisation_id, reason));
            RETURN_IF_ERROR(ApplyReferralChange(tx, actor, change));
            v1::TransferReferralResponse out;
            ASSIGN_OR_RETURN(*out.mutable_referral(), AnswerReferral(tx, referral_id, show));
            return out;
          }));
  RETURN_IF_ERROR(RefillResidentId(*answer.mutable_referral()));
  return answer;
}

// ---- cases
// ----------------------------------------------------------------------------------------------------

absl::StatusOr<std::optional<v1::Case>> MariaDbRegistryStore::ReadCase(db::Session& session,
                                                                       const std::string& id, bool for_update,
                                                                       bool with_history) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   session.QueryOne(for_update ? kCaseByIdForUpdate : kCaseById, {id}));
  if (!row) return std::optional<v1::Case>();
  v1::Case c;
  c.set_case_id(row->String(0));
  c.set_child_id(row->String(1));
  c.set_referral_id(row->String(2));
  c.set_organisation_id(row->String(3));
  c.set_caseworker_id(row->String(4));
  c.set_status(static_cast<v1::CaseStatus>(row->Int(5)));
  c.set_risk_level(static_cast<v1::RiskLevel>(row->Int(6)));
  if (row->Int(7) != 0) {
    c.mutable_care_arrangement()->set_type(static_cast<v1::CareArrangementType>(row->Int(7)));
    c.mutable_care_arrangement()->set_caregiver(row->String(8));
    c.mutable_care_arrangement()->set_effective_date(row->String(9));
  }
  c.set_village_code(row->String(10));
  RETURN_IF_ERROR(ReadInstant(*row, 11, [&] { return c.mutable_opened_at(); }));
  RETURN_IF_ERROR(ReadInstant(*row, 12, [&] { return c.mutable_closed_at(); }));
  c.set_close_reason(row->String(13));
  c.set_replaced(row->Int(14) == 0);
  if (with_history) {
    ASSIGN_OR_RETURN(db::Rows history, session.Query(kCaseHistory, {id}));
    for (const auto& h : history) *c.add_history() = HistoryFromRow(h);
  }
  return std::optional<v1::Case>(std::move(c));
}

absl::StatusOr<std::optional<v1::Case>> MariaDbRegistryStore::GetCase(const std::string& case_id,
                                                                      bool with_history) {
  return db::ReadOne<std::optional<v1::Case>>(
      pool_, [&](db::Session& s) { return ReadCase(s, case_id, /*for_update=*/false, with_history); });
}

absl::StatusOr<std::optional<v1::Case>> MariaDbRegistryStore::LockCase(db::Session& tx,
                                                                       const std::string& case_id) {
  return ReadCase(tx, case_id, /*for_update=*/true, /*with_history=*/false);
}

absl::Status MariaDbRegistryStore::WriteCaseChange(db::Session& tx, const std::string& case_id,
                                                   const CaseChange& change) {
  const v1::Case& u = change.updated;
  const std::string now = ToSqlTimestamp(FromProtoTimestamp(change.entry.at()));
  const bool has_care =
      u.has_care_arrangement() && u.care_arrangement().type() != v1::CARE_ARRANGEMENT_TYPE_UNSPECIFIED;
  // The caller has locked the case: its counted status and risk are the ones this change replaces.
  ASSIGN_OR_RETURN(std::optional<CountedCase> counted, CountedCaseOf(tx, case_id));
  if (counted && (counted->village_code != u.village_code() || counted->status != u.status() ||
                  counted->risk_level != u.risk_level())) {
    CountChanges counts;
    counts.ChangeCase(*counted, {u.village_code(), u.status(), u.risk_level()});
    RETURN_IF_ERROR(ApplyCountChanges(tx, counts, ids_.Next()));
  }
  RETURN_IF_ERROR(
      tx.Execute(kUpdateCase,
                 {u.organisation_id(), u.caseworker_id(), u.village_code(), int64_t{u.status()},
                  int64_t{u.risk_level()}, int64_t{has_care ? u.care_arrangement().type() : 0},
                  has_care ? u.care_arrangement().caregiver() : std::string(),
                  has_care && !u.care_arrangement().effective_date().empty()
                      ? db::Value(u.care_arrangement().effective_date())
                      : db::Value(db::Null{}),
                  SqlTimestampOrNull(u.closed_at(), u.has_closed_at()), u.close_reason(), now, case_id})
          .status());
  const auto& e = change.entry;
  if (u.status() == v1::CASE_STATUS_CLOSED && e.from_status() != v1::CASE_STATUS_CLOSED) {
    RETURN_IF_ERROR(CancelOpenTransferRequest(tx, case_id, e.actor(), now));
  }
  RETURN_IF_ERROR(
      tx.Execute(kInsertCaseHistory, {ids_.Next(), case_id, now, e.actor(), e.action(),
                                      int64_t{e.from_status()}, int64_t{e.to_status()}, e.detail()})
          .status());
  return outbox_.Append(tx, case_id, *change.event, FromProtoTimestamp(e.at()));
}

absl::StatusOr<v1::Case> MariaDbRegistryStore::ChangeCase(const IdempotencyKey& key, const Actor& actor,
                                                          const std::string& case_id,
                                                          const Authorize<v1::Case>& authorize,
                                                          const CaseRule& rule) {
  return IdempotentTransaction<v1::Case>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Case> {
        ASSIGN_OR_RETURN(std::optional<v1::Case> current, LockCase(tx, case_id));
        if (!current) return absl::NotFoundError("case not found");
        RETURN_IF_ERROR(authorize(*current));
        ASSIGN_OR_RETURN(CaseChange change, rule(*current, actor));
        RETURN_IF_ERROR(WriteCaseChange(tx, case_id, change));
        if (change.updated.organisation_id() != current->organisation_id()) {
          RETURN_IF_ERROR(
              MoveCooperationRecords(tx, case_id, change.updated.organisation_id(), std::nullopt));
        }
        // The case's answer is the case as changed, with its history: kept for a retry as it is now.
        ASSIGN_OR_RETURN(std::optional<v1::Case> changed, ReadCase(tx, case_id, /*for_update=*/false, true));
        if (!changed) return absl::InternalError("changed case is missing");
        return *std::move(changed);
      });
}

absl::StatusOr<v1::Case> MariaDbRegistryStore::MoveHousehold(const IdempotencyKey& key, const Actor& actor,
                                                             const std::string& case_id,
                                                             const v1::Household& to,
                                                             const std::string& reason,
                                                             const Authorize<v1::Case>& authorize) {
  return IdempotentTransaction<v1::Case>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::Case> {
        ASSIGN_OR_RETURN(std::optional<v1::Case> current, LockCase(tx, case_id));
        if (!current) return absl::NotFoundError("case not found");
        RETURN_IF_ERROR(authorize(*current));
        // The case, then its child: a county transfer's move locks them in this order too.
        ASSIGN_OR_RETURN(std::optional<ChildHome> home, LockChildHome(tx, current->child_id()));
        if (!home) return absl::InternalError("the case's child is missing");
        ASSIGN_OR_RETURN(CaseChange change,
                         registry::MoveHousehold(*current, home->household, to, actor, reason));
        CountChanges counts;
        RETURN_IF_ERROR(MoveChildHome(tx, current->child_id(), *home, to, actor.at, counts));
        RETURN_IF_ERROR(ApplyCountChanges(tx, counts, ids_.Next()));
        RETURN_IF_ERROR(WriteCaseChange(tx, case_id, change));
        if (change.updated.village_code() != current->village_code()) {
          RETURN_IF_ERROR(
              MoveCooperationRecords(tx, case_id, current->organisation_id(), change.updated.village_code()));
        }
        ASSIGN_OR_RETURN(std::optional<v1::Case> moved, ReadCase(tx, case_id, /*for_update=*/false, true));
        if (!moved) return absl::InternalError("moved case is missing");
        return *std::move(moved);
      });
}

// ---- children
// -------------------------------------------------------------------------------------------------

absl::StatusOr<std::optional<v1::Child>> MariaDbRegistryStore::GetChild(const std::string& child_id) {
  std::optional<v1::Child> child;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto children, ReadChildren(s, {child_id}));
    auto found = children.find(child_id);
    if (found == children.end()) return absl::OkStatus();
    RETURN_IF_ERROR(found->second.status());
    child = *std::move(found->second);
    return absl::OkStatus();
  }));
  return child;
}

void MariaDbRegistryStore::ReadChildThen(std::string child_id, DecideChildRead decide,
                                         std::function<void(absl::Status)> committed) {
  access_log_.ReadChildThen(std::move(child_id), std::move(decide), std::move(committed));
}

absl::StatusOr<AccessLogWriter::FoundChildren> MariaDbRegistryStore::ReadChildren(
    db::Session& s, const std::vector<std::string>& child_ids) {
  AccessLogWriter::FoundChildren children;
  for (size_t from = 0; from < child_ids.size(); from += kMaxChildrenPerRead) {
    const size_t n = std::min(kMaxChildrenPerRead, child_ids.size() - from);
    std::vector<db::Value> params(child_ids.begin() + static_cast<std::ptrdiff_t>(from),
                                  child_ids.begin() + static_cast<std::ptrdiff_t>(from + n));
    db::PadEntries(params, 0, 1, n);
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query(absl::StrCat(kChildrenWithGuardians, db::PaddedList("?", ", ", n), ")"), params));
    // A child's rows together, its guardians in the order they were recorded (ids sort by time); sorted
    // here, not by ORDER BY, which made MariaDB build a temporary table for every read.
    std::sort(rows.begin(), rows.end(), [](const db::Row& a, const db::Row& b) {
      return std::forward_as_tuple(a.String(0), a.String(17)) <
             std::forward_as_tuple(b.String(0), b.String(17));
    });
    for (size_t first = 0; first < rows.size();) {
      size_t end = first + 1;
      while (end < rows.size() && rows[end].String(0) == rows[first].String(0)) ++end;
      children.emplace(rows[first].String(0), ChildFromRows(rows, first, end));
      first = end;
    }
  }
  return children;
}

absl::StatusOr<v1::Child> MariaDbRegistryStore::ChildFromRows(const db::Rows& rows, size_t first,
                                                              size_t end) const {
  const db::Row& row = rows[first];
  v1::Child c;
  c.set_child_id(row.String(0));
  c.set_name(row.String(1));
  c.set_sex(static_cast<v1::Sex>(row.Int(2)));
  c.set_birth_date(row.String(3));
  if (!row.IsNull(4)) {
    ASSIGN_OR_RETURN(std::string resident_id, crypto_.Open(row.String(4), c.child_id()));
    c.set_resident_id(resident_id);
  }
  auto* h = c.mutable_household();
  h->set_village_code(row.String(5));
  h->set_address_detail(row.String(6));
  double coordinate = 0;
  if (!row.IsNull(7) && absl::SimpleAtod(row.String(7), &coordinate)) h->set_latitude(coordinate);
  if (!row.IsNull(8) && absl::SimpleAtod(row.String(8), &coordinate)) h->set_longitude(coordinate);
  ParseCategories(row.String(9), &c);
  c.set_current_case_id(row.String(10));
  c.set_case_status(static_cast<v1::CaseStatus>(row.Int(11)));
  c.set_risk_level(static_cast<v1::RiskLevel>(row.Int(12)));
  c.set_organisation_id(row.String(13));
  for (size_t i = first; i < end; ++i) {
    if (rows[i].IsNull(14)) continue;  // no guardian on record
    auto* g = c.add_guardians();
    g->set_name(rows[i].String(14));
    g->set_relationship(static_cast<v1::GuardianRelationship>(rows[i].Int(15)));
    g->set_status(static_cast<v1::GuardianStatus>(rows[i].Int(16)));
  }
  return c;
}

absl::StatusOr<std::vector<v1::Child>> MariaDbRegistryStore::SearchChildren(const ChildFilter& f) {
  std::vector<v1::Child> children;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    const std::string category = absl::StrCat(static_cast<int>(f.category));  // an item of `categories`
    std::vector<db::Value> params = {f.division_prefix,
                                     DivisionPrefixEnd(f.division_prefix),
                                     f.after_id,
                                     Any(f.category == v1::CHILD_CATEGORY_UNSPECIFIED),
                                     category,
                                     Any(f.risk_level == v1::RISK_LEVEL_UNSPECIFIED),
                                     int64_t{f.risk_level},
                                     Any(f.case_status == v1::CASE_STATUS_UNSPECIFIED),
                                     int64_t{f.case_status},
                                     Any(f.organisation_id.empty()),
                                     f.organisation_id,
                                     int64_t{f.limit}};
    // A village's children, and a prefecture's or a province's, are read by village code
    // (children_village_id); within a county a page walks the county in id order: its category rows
    // (county_category_children) with a category, unless a case filter is the smaller set or an
    // organisation is given, its current cases with a case filter, its children without a filter.
    const bool in_county =
        f.division_prefix.size() >= kCountyCodeDigits && f.division_prefix.size() < kVillageCodeDigits;
    absl::string_view sql = kSearchChildren;
    if (in_county) {
      const std::string county(CountyOf(f.division_prefix));
      std::optional<CountyLeadSizes> sizes;
      if (NeedsCountyLeadSizes(f)) {
        ASSIGN_OR_RETURN(Statistics counts, ReadCountedStatistics(s, county));
        sizes = LeadSizesOf(f, counts);
      }
      // The case-led statements take the county and the lead's value first, then kSearchChildren's
      // parameters with the prefix's range again before the limit.
      const auto case_led = [&](absl::string_view statement, db::Value lead) {
        sql = statement;
        params.insert(params.begin(), {county, std::move(lead)});
        params.insert(params.end() - 1, {f.division_prefix, DivisionPrefixEnd(f.division_prefix)});
      };
      switch (ChooseCountySearchLead(f, sizes)) {
        case CountySearchLead::kCategory:
          sql = kSearchCategoryInCounty;
          params = {county,
                    int64_t{f.category},
                    f.division_prefix,
                    DivisionPrefixEnd(f.division_prefix),
                    f.after_id,
                    Any(f.risk_level == v1::RISK_LEVEL_UNSPECIFIED),
                    int64_t{f.risk_level},
                    Any(f.case_status == v1::CASE_STATUS_UNSPECIFIED),
                    int64_t{f.case_status},
                    int64_t{f.limit}};
          break;
        case CountySearchLead::kOrganisation:
          case_led(kSearchOrganisationCasesInCounty, f.organisation_id);
          break;
        case CountySearchLead::kGrade:
          case_led(kSearchRiskCasesInCounty, int64_t{f.risk_level});
          break;
        case CountySearchLead::kStatus:
          case_led(kSearchStatusCasesInCounty, int64_t{f.case_status});
          break;
        case CountySearchLead::kChildren:
          sql = kSearchChildrenInCounty;
          params.insert(params.begin(), county);
          break;
      }
    }
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(sql, params));
    // The cells move into the page (a page is 50 rows of ten cells: their copies were a good part of the
    // registry's allocations per search).
    children.reserve(rows.size());
    for (auto& row : rows) {
      v1::Child& c = children.emplace_back();
      c.set_child_id(row.Take(0));
      c.set_name(row.Take(1));
      c.set_sex(static_cast<v1::Sex>(row.Int(2)));
      c.set_birth_date(row.Take(3));
      c.mutable_household()->set_village_code(row.Take(4));
      ParseCategories(row.String(5), &c);
      c.set_current_case_id(row.Take(6));
      c.set_case_status(static_cast<v1::CaseStatus>(row.Int(7)));
      c.set_risk_level(static_cast<v1::RiskLevel>(row.Int(8)));
      c.set_organisation_id(row.Take(9));
    }
    return absl::OkStatus();
  }));
  return children;
}

absl::StatusOr<Statistics> MariaDbRegistryStore::GetStatistics(const std::string& prefix) {
  // Statistics are scoped by the prefix only: counts carry no personal data. Kept per county (migration
  // 0045); a township's or a village's are counted from their rows, which are few.
  return db::ReadOne<Statistics>(pool_, [&](db::Session& s) {
    return CountsCover(prefix) ? ReadCountedStatistics(s, prefix) : CountStatisticsFromRows(s, prefix);
  });
}

// ---- access log and events
// ------------------------------------------------------------------------------------

absl::Status MariaDbRegistryStore::RecordAccess(std::vector<AccessRecord> records) {
  return access_log_.Record(std::move(records));
}

void MariaDbRegistryStore::RecordAccessThen(std::vector<AccessRecord> records,
                                            std::function<void(absl::Status)> committed) {
  access_log_.RecordThen(std::move(records), std::move(committed));
}

void MariaDbRegistryStore::RecordReadThen(AccessRead read, std::function<void(absl::Status)> committed) {
  access_log_.RecordThen(std::move(read), std::move(committed));
}

absl::StatusOr<std::vector<v1::AccessLogEntry>> MariaDbRegistryStore::ListAccessLog(
    const AccessLogFilter& f) {
  std::vector<v1::AccessLogEntry> entries;
  const std::string division_end = DivisionPrefixEnd(f.division_prefix);
  const auto in_division = [&](const std::string& village) {
    return village >= f.division_prefix && village < division_end;
  };
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    entries.clear();
    std::string holding;
    if (!f.after_id.empty()) {
      ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(kAccessReadHolding, {f.after_id}));
      if (row) holding = row->String(0);
    }
    // Reads are fetched a page's worth at a time until the page of entries is full: a read holds one entry
    // or a search page's fifty, and the division or record filter may drop some of them.
    const int64_t fetch = std::max(f.limit, 1);
    std::string equal = holding;
    std::string after = holding;
    while (static_cast<int>(entries.size()) < f.limit) {
      absl::StatusOr<db::Rows> fetched;
      if (f.record_id.empty()) {
        std::vector<db::Value> params = {equal, after, f.subject, f.subject, f.division_prefix, division_end};
        for (size_t length = 0; length < kScopeAncestors; ++length) {
          params.push_back(f.division_prefix.substr(0, std::min(length, f.division_prefix.size() - 1)));
        }
        params.push_back(fetch);
        fetched = s.Query(kAccessReadsFrom, params);
      } else {
        fetched = ReadsOfRecord(s, f.record_id, f.subject, equal, after, fetch);
      }
      ASSIGN_OR_RETURN(db::Rows rows, std::move(fetched));
      for (const auto& row : rows) {
        ASSIGN_OR_RETURN(std::vector<AccessedRecord> records, DecodeAccessedRecords(row.String(8)));
        for (const AccessedRecord& r : records) {
          if (r.entry_id <= f.after_id || !in_division(r.village_code)) continue;
          if (!f.record_id.empty() && r.record_id != f.record_id) continue;
          v1::AccessLogEntry& e = entries.emplace_back();
          e.set_entry_id(r.entry_id);
          RETURN_IF_ERROR(ReadTimestamp(row, 1, e.mutable_at()));
          e.set_subject(row.String(2));
          e.set_organisation_id(row.String(3));
          e.set_record_type(row.String(4));
          e.set_record_id(r.record_id);
          e.set_fields(row.String(5));
          e.set_purpose(row.String(6));
          e.set_method(row.String(7));
          e.set_consent_id(r.consent_id);
          if (static_cast<int>(entries.size()) == f.limit) return absl::OkStatus();
        }
      }
      if (static_cast<int64_t>(rows.size()) < fetch) break;
      equal.clear();
      after = rows.back().String(0);
    }
    return absl::OkStatus();
  }));
  return entries;
}

}  // namespace shouhu::registry
