#include "services/registry/registry_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::registry {
namespace {

using google::protobuf::util::TimeUtil;

// ---- SQL
// ----------------------------------------------------------------------------------------------------

constexpr absl::string_view kGetDivision =
    "SELECT code, name, level, parent_code FROM divisions WHERE code = ?";
constexpr absl::string_view kListChildDivisions =
    "SELECT code, name, level, parent_code FROM divisions WHERE parent_code = ? AND code > ? ORDER BY code "
    "LIMIT ?";

constexpr absl::string_view kChildByResidentHash = "SELECT id FROM children WHERE resident_id_hash = ?";
constexpr absl::string_view kChildrenBornIn =
    "SELECT id, name FROM children WHERE village_code = ? AND birth_date = ? ORDER BY id LIMIT 50";

constexpr absl::string_view kReferralById =
    "SELECT id, status, referring_org, assigned_org, source, village_code, details, resident_id_sealed, "
    "linked_child_id, possible_duplicates, decision_reason, case_id, submitted_at, decided_at FROM referrals "
    "WHERE id = ?";
constexpr absl::string_view kReferralByIdForUpdate =
    "SELECT id, status, referring_org, assigned_org, source, village_code, details, resident_id_sealed, "
    "linked_child_id, possible_duplicates, decision_reason, case_id, submitted_at, decided_at FROM referrals "
    "WHERE id = ? FOR UPDATE";
constexpr absl::string_view kListReferrals =
    "SELECT id, status, referring_org, assigned_org, source, village_code, details, resident_id_sealed, "
    "linked_child_id, possible_duplicates, decision_reason, case_id, submitted_at, decided_at FROM referrals "
    "WHERE village_code >= ? AND village_code < ? AND id > ? AND (? = 0 OR status = ?) "
    "AND (? = '' OR referring_org = ? OR assigned_org = ?) ORDER BY id LIMIT ?";
constexpr absl::string_view kInsertReferral =
    "INSERT INTO referrals (id, status, referring_org, assigned_org, submitted_by, source, village_code, "
    "details, "
    "resident_id_sealed, resident_id_hash, linked_child_id, possible_duplicates, submitted_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kDecideReferral =
    "UPDATE referrals SET status = ?, decision_reason = ?, case_id = ?, decided_at = ? WHERE id = ?";
constexpr absl::string_view kAssignReferral = "UPDATE referrals SET assigned_org = ? WHERE id = ?";
constexpr absl::string_view kInsertReferralHistory =
    "INSERT INTO referral_history (id, referral_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?, ?)";

constexpr absl::string_view kInsertChild =
    "INSERT INTO children (id, name, sex, birth_date, resident_id_sealed, resident_id_hash, village_code, "
    "address_detail, latitude, longitude, categories, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kInsertChildCategory =
    "INSERT IGNORE INTO child_categories (child_id, category) VALUES (?, ?)";
constexpr absl::string_view kInsertGuardian =
    "INSERT INTO guardians (id, child_id, name, relationship, status) VALUES (?, ?, ?, ?, ?)";
constexpr absl::string_view kChildCurrentCaseForUpdate =
    "SELECT c.current_case_id, cs.status, c.village_code FROM children c LEFT JOIN cases cs ON cs.id = "
    "c.current_case_id "
    "WHERE c.id = ? FOR UPDATE";
constexpr absl::string_view kSetCurrentCase =
    "UPDATE children SET current_case_id = ?, updated_at = ? WHERE id = ?";
constexpr absl::string_view kChildWithGuardians =
    "SELECT c.id, c.name, c.sex, c.birth_date, c.resident_id_sealed, c.village_code, c.address_detail, "
    "c.latitude, c.longitude, c.categories, c.current_case_id, cs.status, cs.risk_level, cs.organisation_id, "
    "g.name, g.relationship, g.status, g.id "
    "FROM children c LEFT JOIN cases cs ON cs.id = c.current_case_id LEFT JOIN guardians g ON g.child_id = "
    "c.id "
    "WHERE c.id = ?";
constexpr absl::string_view kSearchChildren =
    "SELECT c.id, c.name, c.sex, c.birth_date, c.village_code, c.categories, c.current_case_id, cs.status, "
    "cs.risk_level, cs.organisation_id "
    "FROM children c LEFT JOIN cases cs ON cs.id = c.current_case_id "
    "WHERE c.village_code >= ? AND c.village_code < ? AND c.id > ? "
    "AND (? = 0 OR EXISTS (SELECT 1 FROM child_categories cc WHERE cc.child_id = c.id AND cc.category = ?)) "
    "AND (? = 0 OR cs.risk_level = ?) AND (? = 0 OR cs.status = ?) AND (? = '' OR cs.organisation_id = ?) "
    "ORDER BY c.id LIMIT ?";

constexpr absl::string_view kCaseById =
    "SELECT id, child_id, referral_id, organisation_id, caseworker_id, status, risk_level, care_type, "
    "caregiver, "
    "care_effective_date, village_code, opened_at, closed_at, close_reason FROM cases WHERE id = ?";
constexpr absl::string_view kCaseByIdForUpdate =
    "SELECT id, child_id, referral_id, organisation_id, caseworker_id, status, risk_level, care_type, "
    "caregiver, "
    "care_effective_date, village_code, opened_at, closed_at, close_reason FROM cases WHERE id = ? FOR "
    "UPDATE";
constexpr absl::string_view kCaseHistory =
    "SELECT at, actor, action, from_status, to_status, detail FROM case_history WHERE case_id = ? ORDER BY "
    "id";
constexpr absl::string_view kInsertCase =
    "INSERT INTO cases (id, child_id, referral_id, organisation_id, caseworker_id, status, risk_level, "
    "village_code, "
    "opened_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kUpdateCase =
    "UPDATE cases SET organisation_id = ?, caseworker_id = ?, status = ?, risk_level = ?, care_type = ?, "
    "caregiver = ?, care_effective_date = ?, closed_at = ?, close_reason = ?, updated_at = ? WHERE id = ?";
constexpr absl::string_view kInsertCaseHistory =
    "INSERT INTO case_history (id, case_id, at, actor, action, from_status, to_status, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

constexpr absl::string_view kStatisticsByCounty =
    "SELECT SUBSTRING(c.village_code, 1, 6), COALESCE(cs.status, 0), COUNT(*) "
    "FROM children c LEFT JOIN cases cs ON cs.id = c.current_case_id "
    "WHERE c.village_code >= ? AND c.village_code < ? AND (? = '' OR cs.organisation_id = ?) "
    "GROUP BY SUBSTRING(c.village_code, 1, 6), COALESCE(cs.status, 0) ORDER BY 1, 2";
constexpr absl::string_view kStatisticsByCategory =
    "SELECT cc.category, COUNT(*) FROM child_categories cc JOIN children c ON c.id = cc.child_id "
    "LEFT JOIN cases cs ON cs.id = c.current_case_id "
    "WHERE c.village_code >= ? AND c.village_code < ? AND (? = '' OR cs.organisation_id = ?) "
    "GROUP BY cc.category ORDER BY cc.category";

constexpr absl::string_view kListAccessLog =
    "SELECT id, at, subject, organisation_id, record_type, record_id, fields, purpose, method FROM "
    "pii_access_log "
    "WHERE village_code >= ? AND village_code < ? AND id > ? AND (? = '' OR record_id = ?) AND (? = '' OR "
    "subject = ?) "
    "ORDER BY id LIMIT ?";

// ---- mapping
// --------------------------------------------------------------------------------------------------

// Division codes are digits, so every code with this prefix sorts in [prefix, prefix + ":").
std::string PrefixEnd(const std::string& prefix) { return prefix + ":"; }

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}
absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

absl::Status SetTimestamp(const db::Row& row, size_t i, google::protobuf::Timestamp* out) {
  if (row.IsNull(i)) return absl::OkStatus();
  ASSIGN_OR_RETURN(absl::Time t, FromSqlTimestamp(row.String(i)));
  *out = ToProto(t);
  return absl::OkStatus();
}

db::Value OptionalTimestamp(const google::protobuf::Timestamp& t, bool present) {
  return present ? db::Value(ToSqlTimestamp(FromProto(t))) : db::Value(db::Null{});
}

std::string CategoriesText(const google::protobuf::RepeatedField<int>& categories) {
  return absl::StrJoin(categories, ",");
}

void ParseCategories(const std::string& text, v1::Child* child) {
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int value = 0;
    if (absl::SimpleAtoi(part, &value) && v1::ChildCategory_IsValid(value)) {
      child->add_categories(static_cast<v1::ChildCategory>(value));
    }
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
  if (auto at = FromSqlTimestamp(row.String(0)); at.ok()) *e.mutable_at() = ToProto(*at);
  e.set_actor(row.String(1));
  e.set_action(row.String(2));
  e.set_from_status(static_cast<v1::CaseStatus>(row.Int(3)));
  e.set_to_status(static_cast<v1::CaseStatus>(row.Int(4)));
  e.set_detail(row.String(5));
  return e;
}

}  // namespace

MariaDbRegistryStore::MariaDbRegistryStore(db::Pool& pool, const Clock& clock, IdGenerator& ids,
                                           PiiCrypto crypto)
    : pool_(pool),
      clock_(clock),
      ids_(ids),
      crypto_(std::move(crypto)),
      outbox_(pool, ids),
      access_log_(pool, clock, ids) {}

MariaDbRegistryStore::~MariaDbRegistryStore() = default;

// ---- divisions
// ------------------------------------------------------------------------------------------------

absl::StatusOr<std::optional<v1::Division>> MariaDbRegistryStore::GetDivision(const std::string& code) {
  {
    absl::MutexLock lock(&divisions_mu_);
    auto cached = known_divisions_.find(code);
    if (cached != known_divisions_.end()) return std::optional<v1::Division>(cached->second);
  }
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

absl::StatusOr<std::optional<std::string>> MariaDbRegistryStore::FindChildByResidentId(
    const std::string& resident_id) {
  std::optional<std::string> child_id;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     s.QueryOne(kChildByResidentHash, {crypto_.LookupHash(resident_id)}));
    if (row) child_id = row->String(0);
    return absl::OkStatus();
  }));
  return child_id;
}

absl::StatusOr<std::vector<DuplicateCandidate>> MariaDbRegistryStore::ChildrenBornIn(
    const std::string& village_code, const std::string& birth_date) {
  std::vector<DuplicateCandidate> candidates;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kChildrenBornIn, {village_code, birth_date}));
    for (const auto& row : rows) candidates.push_back({row.String(0), row.String(1)});
    return absl::OkStatus();
  }));
  return candidates;
}

// ---- referrals
// ------------------------------------------------------------------------------------------------

absl::StatusOr<std::optional<std::string>> MariaDbRegistryStore::ReplayedOrClaim(
    db::Session& tx, const IdempotencyKey& key, const std::string& result_ref) {
  return ClaimIdempotent(tx, key, clock_.Now(), result_ref);
}

absl::StatusOr<v1::Referral> MariaDbRegistryStore::SubmitReferral(const IdempotencyKey& key,
                                                                  const Caller& caller,
                                                                  v1::Referral referral) {
  const std::string resident_id = referral.child().resident_id();
  std::string referral_id;
  bool replayed = false;
  absl::Time now;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    referral_id = ids_.Next();
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, ReplayedOrClaim(tx, key, referral_id));
    replayed = earlier.has_value();
    if (replayed) {
      referral_id = *earlier;
      return absl::OkStatus();
    }
    // Microseconds, as the column keeps it, so this answer equals what a retry reads back.
    now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
    v1::Referral details = referral;  // what is stored in `details`: no resident id, no derived columns
    details.mutable_child()->clear_resident_id();
    db::Value sealed = db::Null{}, hash = db::Null{};
    if (!resident_id.empty()) {
      sealed = crypto_.Seal(resident_id, referral_id);
      hash = crypto_.LookupHash(resident_id);
    }
    RETURN_IF_ERROR(
        tx.Execute(kInsertReferral,
                   {referral_id, int64_t{v1::REFERRAL_STATUS_PENDING}, caller.organisation_id,
                    caller.organisation_id, caller.subject, int64_t{referral.source()},
                    referral.household().village_code(), details.SerializeAsString(), sealed, hash,
                    referral.linked_child_id().empty() ? db::Value(db::Null{})
                                                       : db::Value(referral.linked_child_id()),
                    absl::StrJoin(referral.possible_duplicate_child_ids(), ","), ToSqlTimestamp(now)})
            .status());
    return tx
        .Execute(kInsertReferralHistory, {ids_.Next(), referral_id, ToSqlTimestamp(now), caller.subject,
                                          std::string("submitted"), std::string()})
        .status();
  }));
  if (replayed) {
    ASSIGN_OR_RETURN(std::optional<v1::Referral> stored, GetReferral(referral_id));
    if (!stored) return absl::InternalError("submitted referral is missing");
    return *stored;
  }
  // The answer is what was just written; no second read.
  referral.set_referral_id(referral_id);
  referral.set_status(v1::REFERRAL_STATUS_PENDING);
  referral.set_referring_organisation_id(caller.organisation_id);
  referral.set_assigned_organisation_id(caller.organisation_id);
  *referral.mutable_submitted_at() = ToProto(now);
  return referral;
}

absl::StatusOr<std::optional<v1::Referral>> MariaDbRegistryStore::ReadReferral(db::Session& session,
                                                                               const std::string& id,
                                                                               bool for_update) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   session.QueryOne(for_update ? kReferralByIdForUpdate : kReferralById, {id}));
  if (!row) return std::optional<v1::Referral>();
  v1::Referral r;
  if (!r.ParseFromString(row->String(6))) return absl::DataLossError("unreadable referral details");
  r.set_referral_id(row->String(0));
  r.set_status(static_cast<v1::ReferralStatus>(row->Int(1)));
  r.set_referring_organisation_id(row->String(2));
  r.set_assigned_organisation_id(row->String(3));
  r.set_source(static_cast<v1::ReferralSource>(row->Int(4)));
  r.mutable_household()->set_village_code(row->String(5));
  if (!row->IsNull(7)) {
    ASSIGN_OR_RETURN(std::string resident_id, crypto_.Open(row->String(7), r.referral_id()));
    r.mutable_child()->set_resident_id(resident_id);
  }
  r.set_linked_child_id(row->String(8));
  r.clear_possible_duplicate_child_ids();
  for (absl::string_view id_part : absl::StrSplit(row->String(9), ',', absl::SkipEmpty())) {
    r.add_possible_duplicate_child_ids(std::string(id_part));
  }
  r.set_decision_reason(row->String(10));
  r.set_case_id(row->String(11));
  RETURN_IF_ERROR(SetTimestamp(*row, 12, r.mutable_submitted_at()));
  RETURN_IF_ERROR(SetTimestamp(*row, 13, r.mutable_decided_at()));
  return std::optional<v1::Referral>(std::move(r));
}

absl::StatusOr<std::optional<v1::Referral>> MariaDbRegistryStore::GetReferral(
    const std::string& referral_id) {
  return db::ReadOne<std::optional<v1::Referral>>(
      pool_, [&](db::Session& s) { return ReadReferral(s, referral_id, /*for_update=*/false); });
}

absl::StatusOr<std::vector<v1::Referral>> MariaDbRegistryStore::ListReferrals(const ReferralFilter& f) {
  std::vector<std::string> ids;
  std::vector<v1::Referral> referrals;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query(kListReferrals, {f.division_prefix, PrefixEnd(f.division_prefix), f.after_id,
                                              int64_t{f.status}, int64_t{f.status}, f.organisation_id,
                                              f.organisation_id, f.organisation_id, int64_t{f.limit}}));
    for (const auto& row : rows) ids.push_back(row.String(0));
    // The page's rows are re-read through the one mapping; pages are small and this keeps one code path.
    for (const auto& id : ids) {
      ASSIGN_OR_RETURN(std::optional<v1::Referral> r, ReadReferral(s, id, false));
      if (r) referrals.push_back(*std::move(r));
    }
    return absl::OkStatus();
  }));
  return referrals;
}

absl::Status MariaDbRegistryStore::DecideReferral(db::Session& tx, const Caller& caller,
                                                  const v1::Referral& referral, v1::ReferralStatus status,
                                                  const std::string& reason, const std::string& case_id) {
  const std::string now = ToSqlTimestamp(clock_.Now());
  RETURN_IF_ERROR(tx.Execute(kDecideReferral, {int64_t{status}, reason,
                                               case_id.empty() ? db::Value(db::Null{}) : db::Value(case_id),
                                               now, referral.referral_id()})
                      .status());
  return tx
      .Execute(kInsertReferralHistory,
               {ids_.Next(), referral.referral_id(), now, caller.subject,
                std::string(status == v1::REFERRAL_STATUS_ACCEPTED ? "accepted" : "rejected"), reason})
      .status();
}

absl::StatusOr<std::string> MariaDbRegistryStore::CreateOrLinkChild(db::Session& tx,
                                                                    const v1::Referral& referral) {
  const std::string& resident_id = referral.child().resident_id();
  const std::string child_id = ids_.Next();
  const std::string now = ToSqlTimestamp(clock_.Now());
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
                  CategoriesText(referral.categories()), now, now})
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
  for (int category : referral.categories()) {
    RETURN_IF_ERROR(tx.Execute(kInsertChildCategory, {child_id, int64_t{category}}).status());
  }
  for (const auto& g : referral.guardians()) {
    RETURN_IF_ERROR(tx.Execute(kInsertGuardian, {ids_.Next(), child_id, g.name(), int64_t{g.relationship()},
                                                 int64_t{g.status()}})
                        .status());
  }
  return child_id;
}

absl::StatusOr<v1::Case> MariaDbRegistryStore::AcceptReferral(const IdempotencyKey& key, const Caller& caller,
                                                              const Acceptance& a,
                                                              const Authorize<v1::Referral>& authorize) {
  std::string case_id;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    case_id = ids_.Next();
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, ReplayedOrClaim(tx, key, case_id));
    if (earlier) {
      case_id = *earlier;
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::optional<v1::Referral> referral,
                     ReadReferral(tx, a.referral_id, /*for_update=*/true));
    if (!referral) return absl::NotFoundError("referral not found");
    RETURN_IF_ERROR(authorize(*referral));
    if (referral->status() != v1::REFERRAL_STATUS_PENDING) {
      return absl::FailedPreconditionError("the referral has already been decided");
    }
    std::string child_id;
    if (!a.existing_child_id.empty()) {
      const auto& candidates = referral->possible_duplicate_child_ids();
      if (a.existing_child_id != referral->linked_child_id() &&
          std::find(candidates.begin(), candidates.end(), a.existing_child_id) == candidates.end()) {
        return InvalidField("existing_child_id",
                            "must be the referral's linked child or one of its possible duplicates");
      }
      child_id = a.existing_child_id;
    } else if (!referral->linked_child_id().empty()) {
      child_id = referral->linked_child_id();
    } else {
      ASSIGN_OR_RETURN(child_id, CreateOrLinkChild(tx, *referral));
    }
    ASSIGN_OR_RETURN(std::optional<db::Row> child, tx.QueryOne(kChildCurrentCaseForUpdate, {child_id}));
    if (!child) return absl::FailedPreconditionError("the linked child no longer exists");
    const int64_t current_status = child->Int(1);
    if (!child->IsNull(0) &&
        (current_status == v1::CASE_STATUS_VERIFYING || current_status == v1::CASE_STATUS_ACTIVE)) {
      return absl::FailedPreconditionError(absl::StrCat("the child already has an open case (",
                                                        child->String(0),
                                                        "): reject as a duplicate or "
                                                        "transfer that case"));
    }
    const std::string village = child->String(2);
    const absl::Time now = clock_.Now();
    const std::string now_text = ToSqlTimestamp(now);
    RETURN_IF_ERROR(tx.Execute(kInsertCase, {case_id, child_id, referral->referral_id(), a.organisation_id,
                                             a.caseworker_id, int64_t{v1::CASE_STATUS_VERIFYING},
                                             int64_t{a.risk_level}, village, now_text, now_text})
                        .status());
    RETURN_IF_ERROR(tx.Execute(kInsertCaseHistory,
                               {ids_.Next(), case_id, now_text, caller.subject, std::string("accepted"),
                                int64_t{v1::CASE_STATUS_UNSPECIFIED}, int64_t{v1::CASE_STATUS_VERIFYING},
                                absl::StrCat("from referral ", referral->referral_id())})
                        .status());
    RETURN_IF_ERROR(tx.Execute(kSetCurrentCase, {case_id, now_text, child_id}).status());
    RETURN_IF_ERROR(DecideReferral(tx, caller, *referral, v1::REFERRAL_STATUS_ACCEPTED, "", case_id));
    v1::CaseAccepted event;
    event.set_case_id(case_id);
    event.set_child_id(child_id);
    event.set_organisation_id(a.organisation_id);
    event.set_risk_level(a.risk_level);
    event.set_village_code(village);
    *event.mutable_at() = ToProto(now);
    return outbox_.Append(tx, case_id, event, now);
  }));
  ASSIGN_OR_RETURN(std::optional<v1::Case> c, GetCase(case_id, /*with_history=*/true));
  if (!c) return absl::InternalError("accepted case is missing");
  return *c;
}

absl::StatusOr<v1::Referral> MariaDbRegistryStore::RejectReferral(const IdempotencyKey& key,
                                                                  const Caller& caller,
                                                                  const std::string& referral_id,
                                                                  const std::string& reason,
                                                                  const Authorize<v1::Referral>& authorize) {
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, ReplayedOrClaim(tx, key, referral_id));
    if (earlier) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<v1::Referral> referral, ReadReferral(tx, referral_id, true));
    if (!referral) return absl::NotFoundError("referral not found");
    RETURN_IF_ERROR(authorize(*referral));
    if (referral->status() != v1::REFERRAL_STATUS_PENDING) {
      return absl::FailedPreconditionError("the referral has already been decided");
    }
    return DecideReferral(tx, caller, *referral, v1::REFERRAL_STATUS_REJECTED, reason, "");
  }));
  ASSIGN_OR_RETURN(std::optional<v1::Referral> r, GetReferral(referral_id));
  if (!r) return absl::InternalError("rejected referral is missing");
  return *r;
}

absl::StatusOr<v1::Referral> MariaDbRegistryStore::TransferReferral(
    const IdempotencyKey& key, const Caller& caller, const std::string& referral_id,
    const std::string& to_organisation_id, const std::string& reason,
    const Authorize<v1::Referral>& authorize) {
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, ReplayedOrClaim(tx, key, referral_id));
    if (earlier) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<v1::Referral> referral, ReadReferral(tx, referral_id, true));
    if (!referral) return absl::NotFoundError("referral not found");
    RETURN_IF_ERROR(authorize(*referral));
    if (referral->status() != v1::REFERRAL_STATUS_PENDING) {
      return absl::FailedPreconditionError("only a pending referral can be transferred");
    }
    if (referral->assigned_organisation_id() == to_organisation_id) {
      return absl::FailedPreconditionError("the referral is already with that organisation");
    }
    RETURN_IF_ERROR(tx.Execute(kAssignReferral, {to_organisation_id, referral_id}).status());
    RETURN_IF_ERROR(
        tx.Execute(kInsertReferralHistory, {ids_.Next(), referral_id, ToSqlTimestamp(clock_.Now()),
                                            caller.subject, std::string("transferred"),
                                            absl::StrCat(referral->assigned_organisation_id(), " -> ",
                                                         to_organisation_id, ": ", reason)})
            .status());
    return absl::OkStatus();
  }));
  ASSIGN_OR_RETURN(std::optional<v1::Referral> r, GetReferral(referral_id));
  if (!r) return absl::InternalError("transferred referral is missing");
  return *r;
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
  RETURN_IF_ERROR(SetTimestamp(*row, 11, c.mutable_opened_at()));
  RETURN_IF_ERROR(SetTimestamp(*row, 12, c.mutable_closed_at()));
  c.set_close_reason(row->String(13));
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

absl::StatusOr<v1::Case> MariaDbRegistryStore::ChangeCase(const IdempotencyKey& key,
                                                          const std::string& case_id,
                                                          const Authorize<v1::Case>& authorize,
                                                          const CaseRule& rule) {
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, ReplayedOrClaim(tx, key, case_id));
    if (earlier) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<v1::Case> current, ReadCase(tx, case_id, /*for_update=*/true, false));
    if (!current) return absl::NotFoundError("case not found");
    RETURN_IF_ERROR(authorize(*current));
    ASSIGN_OR_RETURN(CaseChange change, rule(*current));
    const v1::Case& u = change.updated;
    const std::string now = ToSqlTimestamp(FromProto(change.entry.at()));
    const bool has_care =
        u.has_care_arrangement() && u.care_arrangement().type() != v1::CARE_ARRANGEMENT_TYPE_UNSPECIFIED;
    RETURN_IF_ERROR(
        tx.Execute(kUpdateCase,
                   {u.organisation_id(), u.caseworker_id(), int64_t{u.status()}, int64_t{u.risk_level()},
                    int64_t{has_care ? u.care_arrangement().type() : 0},
                    has_care ? u.care_arrangement().caregiver() : std::string(),
                    has_care && !u.care_arrangement().effective_date().empty()
                        ? db::Value(u.care_arrangement().effective_date())
                        : db::Value(db::Null{}),
                    OptionalTimestamp(u.closed_at(), u.has_closed_at()), u.close_reason(), now, case_id})
            .status());
    const auto& e = change.entry;
    RETURN_IF_ERROR(
        tx.Execute(kInsertCaseHistory, {ids_.Next(), case_id, now, e.actor(), e.action(),
                                        int64_t{e.from_status()}, int64_t{e.to_status()}, e.detail()})
            .status());
    return outbox_.Append(tx, case_id, *change.event, FromProto(e.at()));
  }));
  ASSIGN_OR_RETURN(std::optional<v1::Case> c, GetCase(case_id, /*with_history=*/true));
  if (!c) return absl::InternalError("changed case is missing");
  return *c;
}

// ---- children
// -------------------------------------------------------------------------------------------------

absl::StatusOr<std::optional<v1::Child>> MariaDbRegistryStore::GetChild(const std::string& child_id) {
  std::optional<v1::Child> child;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kChildWithGuardians, {child_id}));
    if (rows.empty()) return absl::OkStatus();
    const db::Row& first = rows.front();
    v1::Child c;
    c.set_child_id(first.String(0));
    c.set_name(first.String(1));
    c.set_sex(static_cast<v1::Sex>(first.Int(2)));
    c.set_birth_date(first.String(3));
    if (!first.IsNull(4)) {
      ASSIGN_OR_RETURN(std::string resident_id, crypto_.Open(first.String(4), c.child_id()));
      c.set_resident_id(resident_id);
    }
    auto* h = c.mutable_household();
    h->set_village_code(first.String(5));
    h->set_address_detail(first.String(6));
    double coordinate = 0;
    if (!first.IsNull(7) && absl::SimpleAtod(first.String(7), &coordinate)) h->set_latitude(coordinate);
    if (!first.IsNull(8) && absl::SimpleAtod(first.String(8), &coordinate)) h->set_longitude(coordinate);
    ParseCategories(first.String(9), &c);
    c.set_current_case_id(first.String(10));
    c.set_case_status(static_cast<v1::CaseStatus>(first.Int(11)));
    c.set_risk_level(static_cast<v1::RiskLevel>(first.Int(12)));
    c.set_organisation_id(first.String(13));
    // Guardians in the order they were recorded (ids sort by time); sorted here, not by ORDER BY, which made
    // MariaDB build a temporary table for every read.
    std::sort(rows.begin(), rows.end(),
              [](const db::Row& a, const db::Row& b) { return a.String(17) < b.String(17); });
    for (const auto& row : rows) {
      if (row.IsNull(14)) continue;
      auto* g = c.add_guardians();
      g->set_name(row.String(14));
      g->set_relationship(static_cast<v1::GuardianRelationship>(row.Int(15)));
      g->set_status(static_cast<v1::GuardianStatus>(row.Int(16)));
    }
    child = std::move(c);
    return absl::OkStatus();
  }));
  return child;
}

absl::StatusOr<std::vector<v1::Child>> MariaDbRegistryStore::SearchChildren(const ChildFilter& f) {
  std::vector<v1::Child> children;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query(kSearchChildren,
                {f.division_prefix, PrefixEnd(f.division_prefix), f.after_id, int64_t{f.category},
                 int64_t{f.category}, int64_t{f.risk_level}, int64_t{f.risk_level}, int64_t{f.case_status},
                 int64_t{f.case_status}, f.organisation_id, f.organisation_id, int64_t{f.limit}}));
    for (const auto& row : rows) {
      v1::Child& c = children.emplace_back();
      c.set_child_id(row.String(0));
      c.set_name(row.String(1));
      c.set_sex(static_cast<v1::Sex>(row.Int(2)));
      c.set_birth_date(row.String(3));
      c.mutable_household()->set_village_code(row.String(4));
      ParseCategories(row.String(5), &c);
      c.set_current_case_id(row.String(6));
      c.set_case_status(static_cast<v1::CaseStatus>(row.Int(7)));
      c.set_risk_level(static_cast<v1::RiskLevel>(row.Int(8)));
      c.set_organisation_id(row.String(9));
    }
    return absl::OkStatus();
  }));
  return children;
}

absl::StatusOr<Statistics> MariaDbRegistryStore::GetStatistics(const std::string& prefix) {
  Statistics stats;
  // Organisation scoping of statistics is applied by the edge through the prefix only; counts carry no
  // personal data.
  const std::string org;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows counties, s.Query(kStatisticsByCounty, {prefix, PrefixEnd(prefix), org, org}));
    for (const auto& row : counties) {
      stats.by_county.push_back({row.String(0), static_cast<v1::CaseStatus>(row.Int(1)), row.Int(2)});
    }
    ASSIGN_OR_RETURN(db::Rows categories,
                     s.Query(kStatisticsByCategory, {prefix, PrefixEnd(prefix), org, org}));
    for (const auto& row : categories) {
      stats.by_category.emplace_back(static_cast<v1::ChildCategory>(row.Int(0)), row.Int(1));
    }
    return absl::OkStatus();
  }));
  return stats;
}

// ---- access log and events
// ------------------------------------------------------------------------------------

absl::Status MariaDbRegistryStore::RecordAccess(std::vector<AccessRecord> records) {
  return access_log_.Record(std::move(records));
}

absl::StatusOr<std::vector<v1::AccessLogEntry>> MariaDbRegistryStore::ListAccessLog(
    const AccessLogFilter& f) {
  std::vector<v1::AccessLogEntry> entries;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(kListAccessLog, {f.division_prefix, PrefixEnd(f.division_prefix),
                                                             f.after_id, f.record_id, f.record_id, f.subject,
                                                             f.subject, int64_t{f.limit}}));
    for (const auto& row : rows) {
      v1::AccessLogEntry& e = entries.emplace_back();
      e.set_entry_id(row.String(0));
      RETURN_IF_ERROR(SetTimestamp(row, 1, e.mutable_at()));
      e.set_subject(row.String(2));
      e.set_organisation_id(row.String(3));
      e.set_record_type(row.String(4));
      e.set_record_id(row.String(5));
      e.set_fields(row.String(6));
      e.set_purpose(row.String(7));
      e.set_method(row.String(8));
    }
    return absl::OkStatus();
  }));
  return entries;
}

}  // namespace shouhu::registry
