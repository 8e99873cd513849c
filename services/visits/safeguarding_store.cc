#include "services/visits/safeguarding_store.h"

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/visits/assignment_release.h"
#include "services/visits/group_facilitators.h"

namespace shouhu::visits {
namespace {

constexpr char kConcernColumns[] =
    "SELECT id, visitor_id, participant_id, organisation_id, division_code, category, reporter, "
    "account_sealed,"
    " child_id, assignment_id, raised_by, raised_at, state, suspension_confirmed, assignments_released,"
    " reviewed_by, reviewed_at, review_note_sealed FROM safeguarding_concerns";

const std::string& SelectConcern() {
  static const std::string sql = absl::StrCat(kConcernColumns, " WHERE id = ?");
  return sql;
}
const std::string& LockConcern() {
  static const std::string sql = absl::StrCat(kConcernColumns, " WHERE id = ? FOR UPDATE");
  return sql;
}
const std::string& ListConcernsSql() {
  static const std::string sql =
      absl::StrCat(kConcernColumns,
                   " WHERE division_code >= ? AND division_code < ? AND (? = '' OR organisation_id = ?)"
                   " AND (? = 0 OR state = ?) AND id > ? ORDER BY id LIMIT ?");
  return sql;
}

constexpr char kInsertConcern[] =
    "INSERT INTO safeguarding_concerns (id, visitor_id, participant_id, organisation_id, division_code,"
    " category, reporter, account_sealed, child_id, assignment_id, raised_by, raised_at, state, "
    "training_pending,"
    " assignments_released) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kReviewConcern[] =
    "UPDATE safeguarding_concerns SET state = ?, training_pending = ?, reviewed_by = ?, reviewed_at = ?,"
    " review_note_sealed = ? WHERE id = ?";
constexpr char kPendingCalls[] =
    "SELECT id, participant_id, training_pending FROM safeguarding_concerns WHERE training_pending > 0"
    " ORDER BY training_pending, id LIMIT ?";
constexpr char kPendingCallOf[] =
    "SELECT id, participant_id, training_pending FROM safeguarding_concerns WHERE id = ? AND"
    " training_pending > 0";
constexpr char kMarkDone[] =
    "UPDATE safeguarding_concerns SET training_pending = 0,"
    " suspension_confirmed = IF(? = 1, 1, suspension_confirmed) WHERE id = ? AND training_pending = ?";

PendingTrainingCall PendingFromRow(const db::Row& row) {
  return {row.String(0), row.String(1), static_cast<TrainingPending>(row.Int(2))};
}

}  // namespace

absl::StatusOr<v1::SafeguardingConcern> MariaDbSafeguardingStore::ConcernFromRow(const db::Row& row) const {
  v1::SafeguardingConcern c;
  c.set_concern_id(row.String(0));
  c.set_visitor_id(row.String(1));
  c.set_participant_id(row.String(2));
  c.set_organisation_id(row.String(3));
  c.set_division_code(row.String(4));
  c.set_category(static_cast<v1::ConcernCategory>(row.Int(5)));
  c.set_reporter(static_cast<v1::ConcernReporter>(row.Int(6)));
  ASSIGN_OR_RETURN(*c.mutable_account(), crypto_.Open(row.String(7), c.concern_id()));
  c.set_child_id(row.String(8));
  c.set_assignment_id(row.String(9));
  c.set_raised_by(row.String(10));
  RETURN_IF_ERROR(ReadTimestamp(row, 11, c.mutable_raised_at()));
  c.set_state(static_cast<v1::ConcernState>(row.Int(12)));
  c.set_suspension_confirmed(row.Int(13) != 0);
  c.set_assignments_released(static_cast<int32_t>(row.Int(14)));
  c.set_reviewed_by(row.OptString(15).value_or(""));
  if (!row.IsNull(16)) RETURN_IF_ERROR(ReadTimestamp(row, 16, c.mutable_reviewed_at()));
  if (!row.IsNull(17)) {
    ASSIGN_OR_RETURN(*c.mutable_review_note(), crypto_.Open(row.String(17), c.concern_id()));
  }
  return c;
}

absl::StatusOr<std::optional<v1::SafeguardingConcern>> MariaDbSafeguardingStore::ReadConcern(
    db::Session& session, const std::string& sql, const std::string& id) const {
  ASSIGN_OR_RETURN(std::optional<db::Row> row, session.QueryOne(sql, {id}));
  if (!row) return std::optional<v1::SafeguardingConcern>();
  ASSIGN_OR_RETURN(v1::SafeguardingConcern concern, ConcernFromRow(*row));
  return std::optional<v1::SafeguardingConcern>(std::move(concern));
}

absl::StatusOr<v1::RaiseSafeguardingConcernResponse> MariaDbSafeguardingStore::RaiseConcern(
    const IdempotencyKey& key, const Actor& actor, const v1::SafeguardingConcern& c, absl::CivilDay today) {
  return IdempotentTransaction<v1::RaiseSafeguardingConcernResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::RaiseSafeguardingConcernResponse> {
        const std::string id = ids_.Next();
        // Off every future visit and group activity first, in this transaction: the person is never sent to
        // a child again whether or not training hears of it now.
        const std::string because = absl::StrCat("safeguarding-concern:", id);
        ASSIGN_OR_RETURN(int released,
                         ReleaseFutureAssignments(tx, c.participant_id(), today, because, actor.at));
        RETURN_IF_ERROR(TakeOffGroupActivities(tx, c.participant_id(), today, because, actor.at).status());
        RETURN_IF_ERROR(tx.Execute(kInsertConcern,
                                   {id, c.visitor_id(), c.participant_id(), c.organisation_id(),
                                    c.division_code(), int64_t{c.category()}, int64_t{c.reporter()},
                                    crypto_.Seal(c.account(), id), c.child_id(), c.assignment_id(),
                                    actor.subject, ToSqlTimestamp(actor.at), int64_t{v1::CONCERN_STATE_OPEN},
                                    static_cast<int64_t>(TrainingPending::kSuspend), int64_t{released}})
                            .status());
        v1::RaiseSafeguardingConcernResponse response;
        response.set_concern_id(id);
        response.set_state(v1::CONCERN_STATE_OPEN);
        response.set_assignments_released(released);
        return response;
      });
}

absl::StatusOr<std::optional<v1::SafeguardingConcern>> MariaDbSafeguardingStore::GetConcern(
    const std::string& id) {
  return db::ReadOne<std::optional<v1::SafeguardingConcern>>(
      pool_, [&](db::Session& session) { return ReadConcern(session, SelectConcern(), id); });
}

absl::StatusOr<std::vector<v1::SafeguardingConcern>> MariaDbSafeguardingStore::ListConcerns(
    const ConcernFilter& f) {
  std::vector<v1::SafeguardingConcern> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::Rows rows,
        session.Query(ListConcernsSql(), {f.division_prefix, DivisionPrefixEnd(f.division_prefix),
                                          f.organisation_id, f.organisation_id, int64_t{f.state},
                                          int64_t{f.state}, f.page.after_id, int64_t{f.page.limit}}));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(v1::SafeguardingConcern concern, ConcernFromRow(row));
      out.push_back(std::move(concern));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::ReviewSafeguardingConcernResponse> MariaDbSafeguardingStore::ReviewConcern(
    const IdempotencyKey& key, const Actor& actor, const std::string& concern_id,
    v1::ConcernDecision decision, const std::string& note, const AuthorizeConcern& authorize) {
  return IdempotentTransaction<v1::ReviewSafeguardingConcernResponse>(
      pool_, key, actor.at, [&](db::Session& tx) -> absl::StatusOr<v1::ReviewSafeguardingConcernResponse> {
        ASSIGN_OR_RETURN(std::optional<v1::SafeguardingConcern> current,
                         ReadConcern(tx, LockConcern(), concern_id));
        if (!current) return absl::NotFoundError("safeguarding concern not found");
        RETURN_IF_ERROR(authorize(*current));
        ASSIGN_OR_RETURN(v1::ConcernState reviewed, Review(*current, decision, actor.subject));
        const TrainingPending pending = AfterReview(reviewed);
        RETURN_IF_ERROR(tx.Execute(kReviewConcern, {int64_t{reviewed}, static_cast<int64_t>(pending),
                                                    actor.subject, ToSqlTimestamp(actor.at),
                                                    note.empty() ? db::Value(db::Null{})
                                                                 : db::Value(crypto_.Seal(note, concern_id)),
                                                    concern_id})
                            .status());
        ASSIGN_OR_RETURN(std::optional<v1::SafeguardingConcern> written,
                         ReadConcern(tx, SelectConcern(), concern_id));
        if (!written) return absl::InternalError("the concern just reviewed is missing");
        // The answer is recorded for retries (common/idempotency.h), so it carries none of the sealed text:
        // the account is read with GetSafeguardingConcern, and the edge puts back the note the request holds.
        written->clear_account();
        written->clear_review_note();
        v1::ReviewSafeguardingConcernResponse response;
        *response.mutable_concern() = *std::move(written);
        return response;
      });
}

absl::StatusOr<std::vector<PendingTrainingCall>> MariaDbSafeguardingStore::PendingTrainingCalls(int limit) {
  std::vector<PendingTrainingCall> out;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(kPendingCalls, {int64_t{limit}}));
    for (const db::Row& row : rows) out.push_back(PendingFromRow(row));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::optional<PendingTrainingCall>> MariaDbSafeguardingStore::PendingTrainingCallOf(
    const std::string& concern_id) {
  return db::ReadOne<std::optional<PendingTrainingCall>>(
      pool_, [&](db::Session& session) -> absl::StatusOr<std::optional<PendingTrainingCall>> {
        ASSIGN_OR_RETURN(std::optional<db::Row> row, session.QueryOne(kPendingCallOf, {concern_id}));
        if (!row) return std::optional<PendingTrainingCall>();
        return std::optional<PendingTrainingCall>(PendingFromRow(*row));
      });
}

absl::Status MariaDbSafeguardingStore::MarkTrainingDone(const std::string& concern_id, TrainingPending what) {
  const int64_t code = static_cast<int64_t>(what);
  // Each concern's hold in training is its own (another concern raised meanwhile placed its own), so nothing
  // else follows from a call landing.
  return pool_.Autocommit([&](db::Session& session) {
    return session.Execute(kMarkDone, {code, concern_id, code}).status();
  });
}

}  // namespace shouhu::visits
