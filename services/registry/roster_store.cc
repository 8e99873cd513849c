#include "services/registry/roster_store.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/batch_statements.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/registry/child_columns.h"
#include "services/registry/county_category_store.h"
#include "services/registry/record_statements.h"
#include "services/registry/statistics_count_store.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::registry {
namespace {

// The child row names its case from the start (the case id is generated first), so a roster child costs
// no UPDATE of the row just inserted.
constexpr absl::string_view kInsertRosterChild =
    "INSERT INTO children (id, name, sex, birth_date, resident_id_sealed, resident_id_hash, village_code, "
    "address_detail, latitude, longitude, categories, current_case_id, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertRosterCase =
    "INSERT INTO cases (id, child_id, referral_id, organisation_id, caseworker_id, status, risk_level, "
    "village_code, opened_at, updated_at) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)";
// Bulk forms of the same INSERTs: a VALUES list of many rows per statement (roster chunks are hundreds of
// children; one statement per row was most of an import's time).
constexpr absl::string_view kInsertChildrenHead =
    "INSERT INTO children (id, name, sex, birth_date, resident_id_sealed, resident_id_hash, village_code, "
    "address_detail, latitude, longitude, categories, current_case_id, created_at, updated_at) VALUES ";
constexpr absl::string_view kChildTuple = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertCategoriesHead =
    "INSERT INTO child_categories (child_id, category) VALUES ";
constexpr absl::string_view kCategoryTuple = "(?, ?)";
constexpr absl::string_view kInsertGuardiansHead =
    "INSERT INTO guardians (id, child_id, name, relationship, status) VALUES ";
constexpr absl::string_view kGuardianTuple = "(?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertCasesHead =
    "INSERT INTO cases (id, child_id, referral_id, organisation_id, caseworker_id, status, risk_level, "
    "village_code, opened_at, updated_at) VALUES ";
constexpr absl::string_view kCaseTuple = "(?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertHistoryHead =
    "INSERT INTO case_history (id, case_id, at, actor, action, from_status, to_status, detail) VALUES ";
constexpr absl::string_view kHistoryTuple = "(?, ?, ?, ?, ?, ?, ?, ?)";
// Which of a block's resident ids are registered already; always kBlockRows parameters (a short block repeats
// its first hash), so it is one statement text.
constexpr absl::string_view kRegisteredHashesHead =
    "SELECT resident_id_hash FROM children WHERE resident_id_hash IN (";
// A block's children are inserted after this; a concurrent registration of one of them (the unique key)
// rolls back to it and the block goes row by row.
constexpr absl::string_view kSavepoint = "SAVEPOINT roster_block";
constexpr absl::string_view kRollbackToSavepoint = "ROLLBACK TO SAVEPOINT roster_block";

// Rows per block: what one check of registered ids covers, and the largest VALUES list (the INSERTs run in
// power-of-two chunks, common/batch_statements.h, so each table has a few statement texts).
constexpr size_t kBlockRows = 64;
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
                                                       const std::string& import_id, const v1::Referral& r,
                                                       CountChanges& counts) {
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
                  CategoryListText(r.categories()), case_id, now, now})
          .status();
  // Registered already (before, earlier in this chunk, or by a concurrent referral or import): the same
  // child, matched. The failed INSERT undoes only itself; the chunk's transaction goes on.
  if (inserted.code() == absl::StatusCode::kAlreadyExists) return false;
  RETURN_IF_ERROR(inserted);
  counts.AddChild(h.village_code(), CategoryListText(r.categories()), 1);
  counts.AddCase({h.village_code(), v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_UNSPECIFIED}, 1);
  for (int category : r.categories()) {
    RETURN_IF_ERROR(tx.Execute(kInsertChildCategory, {child_id, int64_t{category}}).status());
  }
  std::vector<db::Value> indexed;
  AddCountyCategoryRows(child_id, h.village_code(),
                        absl::MakeConstSpan(r.categories().data(), r.categories().size()), indexed);
  RETURN_IF_ERROR(InsertCountyCategoryRows(tx, indexed));
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

absl::StatusOr<int64_t> MariaDbRosterStore::RegisterBlock(db::Session& tx, const Actor& actor,
                                                          const std::string& import_id,
                                                          const std::vector<const v1::Referral*>& block,
                                                          absl::flat_hash_set<std::string>& seen,
                                                          CountChanges& counts) {
  // The block's resident ids registered already: matched, like a repeat within the chunk.
  std::vector<std::string> hashes;
  for (const v1::Referral* r : block) hashes.push_back(crypto_.LookupHash(r->child().resident_id()));
  std::vector<db::Value> lookup;
  for (size_t i = 0; i < kBlockRows; ++i) lookup.push_back(hashes[i < hashes.size() ? i : 0]);
  std::string lookup_sql(kRegisteredHashesHead);
  for (size_t i = 0; i < kBlockRows; ++i) absl::StrAppend(&lookup_sql, i == 0 ? "?" : ", ?");
  lookup_sql += ")";
  ASSIGN_OR_RETURN(db::Rows registered, tx.Query(lookup_sql, lookup));
  for (const auto& row : registered) seen.insert(row.String(0));

  const std::string now = ToSqlTimestamp(actor.at);
  std::vector<db::Value> children, categories, indexed, guardians, cases, history;
  std::vector<v1::CaseOpenedFromRoster> events;
  std::vector<const v1::Referral*> created;
  for (size_t i = 0; i < block.size(); ++i) {
    if (!seen.insert(hashes[i]).second) continue;
    const v1::Referral& r = *block[i];
    const std::string child_id = ids_.Next(), case_id = ids_.Next();
    const v1::Household& h = r.household();
    for (db::Value v : std::vector<db::Value>{
             child_id, r.child().name(), int64_t{r.child().sex()}, r.child().birth_date(),
             crypto_.Seal(r.child().resident_id(), child_id), hashes[i], h.village_code(), h.address_detail(),
             h.has_latitude() ? db::Value(h.latitude()) : db::Value(db::Null{}),
             h.has_longitude() ? db::Value(h.longitude()) : db::Value(db::Null{}),
             CategoryListText(r.categories()), case_id, now, now}) {
      children.push_back(std::move(v));
    }
    for (int category : r.categories()) {
      categories.push_back(child_id);
      categories.push_back(int64_t{category});
    }
    AddCountyCategoryRows(child_id, h.village_code(),
                          absl::MakeConstSpan(r.categories().data(), r.categories().size()), indexed);
    for (const v1::Guardian& g : r.guardians()) {
      for (db::Value v : std::vector<db::Value>{ids_.Next(), child_id, g.name(), int64_t{g.relationship()},
                                                int64_t{g.status()}}) {
        guardians.push_back(std::move(v));
      }
    }
    for (db::Value v : std::vector<db::Value>{
             case_id, child_id, actor.organisation_id, actor.subject, int64_t{v1::CASE_STATUS_ACTIVE},
             int64_t{v1::RISK_LEVEL_UNSPECIFIED}, h.village_code(), now, now}) {
      cases.push_back(std::move(v));
    }
    for (db::Value v :
         std::vector<db::Value>{ids_.Next(), case_id, now, actor.subject, std::string("imported"),
                                int64_t{v1::CASE_STATUS_UNSPECIFIED}, int64_t{v1::CASE_STATUS_ACTIVE},
                                absl::StrCat("from the county roster, import ", import_id)}) {
      history.push_back(std::move(v));
    }
    v1::CaseOpenedFromRoster& event = events.emplace_back();
    event.set_case_id(case_id);
    event.set_child_id(child_id);
    event.set_organisation_id(actor.organisation_id);
    event.set_village_code(h.village_code());
    event.set_import_id(import_id);
    *event.mutable_at() = ToProtoTimestamp(actor.at);
    created.push_back(&r);
  }
  if (created.empty()) return 0;

  RETURN_IF_ERROR(tx.ExecuteConstant(kSavepoint));
  absl::Status inserted = db::InsertRows(tx, kInsertChildrenHead, kChildTuple, 14, children).status();
  if (inserted.code() == absl::StatusCode::kAlreadyExists) {
    // Registered meanwhile by a concurrent import or accept (it waited on the unique key until that
    // committed): this block row by row, each duplicate matched.
    RETURN_IF_ERROR(tx.ExecuteConstant(kRollbackToSavepoint));
    int64_t count = 0;
    for (const v1::Referral* r : created) {
      ASSIGN_OR_RETURN(bool one, RegisterChild(tx, actor, import_id, *r, counts));
      count += one ? 1 : 0;
    }
    return count;
  }
  RETURN_IF_ERROR(inserted);
  RETURN_IF_ERROR(db::InsertRows(tx, kInsertCategoriesHead, kCategoryTuple, 2, categories).status());
  RETURN_IF_ERROR(InsertCountyCategoryRows(tx, indexed));
  RETURN_IF_ERROR(db::InsertRows(tx, kInsertGuardiansHead, kGuardianTuple, 5, guardians).status());
  RETURN_IF_ERROR(db::InsertRows(tx, kInsertCasesHead, kCaseTuple, 9, cases).status());
  RETURN_IF_ERROR(db::InsertRows(tx, kInsertHistoryHead, kHistoryTuple, 8, history).status());
  // The block's events in one INSERT: an INSERT each was about 980 of the 1,180 statements an import ran
  // per 1,000 children (now about 200; tests/bench/registry/roster_import prints them).
  std::vector<Outbox::Pending> pending;
  pending.reserve(events.size());
  for (const auto& event : events) pending.push_back({event.case_id(), &event, actor.at});
  RETURN_IF_ERROR(outbox_.AppendAll(tx, pending));
  for (const v1::Referral* r : created) {
    counts.AddChild(r->household().village_code(), CategoryListText(r->categories()), 1);
    counts.AddCase({r->household().village_code(), v1::CASE_STATUS_ACTIVE, v1::RISK_LEVEL_UNSPECIFIED}, 1);
  }
  return static_cast<int64_t>(created.size());
}

absl::StatusOr<v1::ImportRosterResponse> MariaDbRosterStore::ImportChunk(
    const IdempotencyKey& key, const Actor& actor, const std::string& import_id,
    const std::vector<RosterEntry>& entries, const std::vector<v1::RowRejection>& rejections) {
  return IdempotentTransaction<v1::ImportRosterResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ImportRosterResponse> {
        v1::ImportRosterResponse answer;
        answer.set_chunks(1);
        answer.set_rows(static_cast<int64_t>(entries.size() + rejections.size()));
        absl::flat_hash_set<std::string> seen;  // resident id hashes registered or registered by this chunk
        int64_t created = 0;
        CountChanges counts;  // the chunk's children and cases, counted once at its end (migration 0045)
        for (size_t first = 0; first < entries.size(); first += kBlockRows) {
          std::vector<const v1::Referral*> block;
          for (size_t i = first; i < entries.size() && i < first + kBlockRows; ++i)
            block.push_back(&entries[i].child);
          ASSIGN_OR_RETURN(int64_t registered, RegisterBlock(tx, actor, import_id, block, seen, counts));
          created += registered;
        }
        RETURN_IF_ERROR(ApplyCountChanges(tx, counts, ids_.Next()));
        answer.set_created(created);
        answer.set_matched(static_cast<int64_t>(entries.size()) - created);
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
