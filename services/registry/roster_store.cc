#include "services/registry/roster_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::registry {
namespace {

// The child row names its case from the start (the case id is generated first), so a roster child costs
// no UPDATE of the row just inserted.
constexpr absl::string_view kInsertRosterChild =
    "INSERT INTO children (id, name, sex, birth_date, resident_id_sealed, resident_id_hash, village_code, "
    "address_detail, latitude, longitude, categories, current_case_id, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertChildCategory =
    "INSERT IGNORE INTO child_categories (child_id, category) VALUES (?, ?)";
constexpr absl::string_view kInsertGuardian =
    "INSERT INTO guardians (id, child_id, name, relationship, status) VALUES (?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertRosterCase =
    "INSERT INTO cases (id, child_id, referral_id, organisation_id, caseworker_id, status, risk_level, "
    "village_code, opened_at, updated_at) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertCaseHistory =
    "INSERT INTO case_history (id, case_id, at, actor, action, from_status, to_status, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
// One row per child: its guardians' statuses folded in (a county is tens of thousands of children; one
// range scan on children_village_id and the guardians' index).
constexpr absl::string_view kCountyChildren =
    "SELECT c.id, c.resident_id_hash, c.categories, COALESCE(GROUP_CONCAT(g.status), ''), c.village_code "
    "FROM children c LEFT JOIN guardians g ON g.child_id = c.id "
    "WHERE c.village_code >= ? AND c.village_code < ? GROUP BY c.id ORDER BY c.id";

template <typename Enum>
std::vector<Enum> EnumList(const std::string& text, bool (*is_valid)(int)) {
  std::vector<Enum> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int value = 0;
    if (absl::SimpleAtoi(part, &value) && is_valid(value)) out.push_back(static_cast<Enum>(value));
  }
  return out;
}

}  // namespace

absl::StatusOr<bool> MariaDbRosterStore::RegisterChild(db::Session& tx, const Actor& actor,
                                                       const std::string& import_id, const v1::Referral& r) {
  const std::string child_id = ids_.Next();
  const std::string case_id = ids_.Next();
  const std::string now = ToSqlTimestamp(actor.at);
  const std::string& resident_id = r.child().resident_id();
  const v1::Household& h = r.household();
  absl::Status inserted =
      tx.Execute(kInsertRosterChild,
                 {child_id, r.child().name(), int64_t{r.child().sex()}, r.child().birth_date(),
                  crypto_.Seal(resident_id, child_id), crypto_.LookupHash(resident_id), h.village_code(),
                  h.address_detail(), h.has_latitude() ? db::Value(h.latitude()) : db::Value(db::Null{}),
                  h.has_longitude() ? db::Value(h.longitude()) : db::Value(db::Null{}),
                  absl::StrJoin(r.categories(), ","), case_id, now, now})
          .status();
  // Registered already (before, earlier in this chunk, or by a concurrent referral or import): the same
  // child, matched. The failed INSERT undoes only itself; the chunk's transaction goes on.
  if (inserted.code() == absl::StatusCode::kAlreadyExists) return false;
  RETURN_IF_ERROR(inserted);
  for (int category : r.categories()) {
    RETURN_IF_ERROR(tx.Execute(kInsertChildCategory, {child_id, int64_t{category}}).status());
  }
  for (const v1::Guardian& g : r.guardians()) {
    RETURN_IF_ERROR(tx.Execute(kInsertGuardian, {ids_.Next(), child_id, g.name(), int64_t{g.relationship()},
                                                 int64_t{g.status()}})
                        .status());
  }
  RETURN_IF_ERROR(
      tx.Execute(kInsertRosterCase,
                 {case_id, child_id, actor.organisation_id, actor.subject, int64_t{v1::CASE_STATUS_ACTIVE},
                  int64_t{v1::RISK_LEVEL_UNSPECIFIED}, h.village_code(), now, now})
          .status());
  RETURN_IF_ERROR(
      tx.Execute(kInsertCaseHistory, {ids_.Next(), case_id, now, actor.subject, std::string("imported"),
                                      int64_t{v1::CASE_STATUS_UNSPECIFIED}, int64_t{v1::CASE_STATUS_ACTIVE},
                                      absl::StrCat("from the county roster, import ", import_id)})
          .status());
  v1::CaseOpenedFromRoster event;
  event.set_case_id(case_id);
  event.set_child_id(child_id);
  event.set_organisation_id(actor.organisation_id);
  event.set_village_code(h.village_code());
  event.set_import_id(import_id);
  *event.mutable_at() = ToProtoTimestamp(actor.at);
  RETURN_IF_ERROR(outbox_.Append(tx, case_id, event, actor.at));
  return true;
}

absl::StatusOr<v1::ImportRosterResponse> MariaDbRosterStore::ImportChunk(
    const IdempotencyKey& key, const Actor& actor, const std::string& import_id,
    const std::vector<RosterEntry>& entries, const std::vector<v1::RowRejection>& rejections) {
  return IdempotentTransaction<v1::ImportRosterResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ImportRosterResponse> {
        v1::ImportRosterResponse answer;
        answer.set_chunks(1);
        answer.set_rows(static_cast<int64_t>(entries.size() + rejections.size()));
        for (const RosterEntry& entry : entries) {
          ASSIGN_OR_RETURN(bool created, RegisterChild(tx, actor, import_id, entry.child));
          if (created) {
            answer.set_created(answer.created() + 1);
          } else {
            answer.set_matched(answer.matched() + 1);
          }
        }
        answer.set_rejected(static_cast<int64_t>(rejections.size()));
        for (const v1::RowRejection& r : rejections) *answer.add_rejections() = r;
        return answer;
      });
}

absl::StatusOr<std::vector<RosterChild>> MariaDbRosterStore::CountyChildren(const std::string& county_code) {
  std::vector<RosterChild> children;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kCountyChildren, {county_code, DivisionPrefixEnd(county_code)}));
    for (const auto& row : rows) {
      RosterChild& c = children.emplace_back();
      c.child_id = row.String(0);
      c.resident_id_hash = row.String(1);
      c.categories = EnumList<v1::ChildCategory>(row.String(2), v1::ChildCategory_IsValid);
      c.guardian_statuses = EnumList<v1::GuardianStatus>(row.String(3), v1::GuardianStatus_IsValid);
      c.village_code = row.String(4);
    }
    return absl::OkStatus();
  }));
  return children;
}

}  // namespace shouhu::registry
