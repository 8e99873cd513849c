#include "services/registry/access_log_writer.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace shouhu::registry {
namespace {

// A batch's rows go in one INSERT per table (up to kMaxLogRowsPerInsert), its list padded to a few sizes
// (PaddedLogRows) by repeating its last row, which the table's key then drops: a repeated row is the same key
// with the same values, and ON DUPLICATE KEY UPDATE leaves it as it is (ids are fresh from IdGenerator and a
// read's records are distinct, so only the padding repeats a key). Split into power-of-two chunks instead
// (db::InsertRows), a batch of 19 GetChild reads was three INSERTs per table and a batch of five search pages
// (250 records) six for its records alone: about eight statements, each a round trip and a wake-up in both
// processes, where a padded batch is four (START, reads, records, COMMIT). The padding (at most 7 rows a
// table) costs a key lookup each on the page the statement has just written. The writer's one connection
// keeps the texts: 39 per table.
constexpr absl::string_view kInsertReads =
    "INSERT INTO pii_access_reads (id, at, subject, organisation_id, record_type, fields, purpose, method, "
    "scope, records) VALUES ";
constexpr absl::string_view kReadPlaceholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr absl::string_view kReadsRepeated = " ON DUPLICATE KEY UPDATE id = id";
constexpr size_t kParamsPerRead = 10;
// Under the read's week (migration 0050): a batch writes into the current week's part of the index only.
constexpr absl::string_view kInsertRecords =
    "INSERT INTO pii_access_records_by_week (week, record_id, log_id) VALUES ";
constexpr absl::string_view kRecordPlaceholders = "(?, ?, ?)";
constexpr absl::string_view kRecordsRepeated = " ON DUPLICATE KEY UPDATE log_id = log_id";
constexpr size_t kParamsPerRecord = 3;

// Inserts `params` (whole rows of `width` values) in padded statements of at most kMaxLogRowsPerInsert rows.
absl::Status InsertPadded(db::Session& session, absl::string_view head, absl::string_view tuple,
                          absl::string_view repeated, size_t width, const std::vector<db::Value>& params) {
  const size_t rows = params.size() / width;
  std::vector<db::Value> chunk;
  std::string sql;
  for (size_t from = 0; from < rows; from += kMaxLogRowsPerInsert) {
    const size_t n = std::min(kMaxLogRowsPerInsert, rows - from);
    const size_t padded = PaddedLogRows(n);
    chunk.assign(params.begin() + static_cast<std::ptrdiff_t>(from * width),
                 params.begin() + static_cast<std::ptrdiff_t>((from + n) * width));
    chunk.reserve(padded * width);  // the repeats below copy from the chunk itself
    for (size_t i = n; i < padded; ++i) {
      for (size_t v = 0; v < width; ++v) chunk.push_back(chunk[(n - 1) * width + v]);
    }
    sql.assign(head.data(), head.size());
    for (size_t i = 0; i < padded; ++i) absl::StrAppend(&sql, i == 0 ? "" : ", ", tuple);
    absl::StrAppend(&sql, repeated);
    RETURN_IF_ERROR(session.Execute(sql, chunk).status());
  }
  return absl::OkStatus();
}

// The batch's turn in the log's order (migration 0049): last_id moves up to the batch's highest id only when
// all its ids are above it, and the row stays locked to the batch's COMMIT. Taken last, just before COMMIT,
// so another replica's batch waits for it no longer than that.
constexpr absl::string_view kTakeTurn =
    "UPDATE pii_access_log_turn SET last_id = ? WHERE id = 1 AND last_id < ?";
// The highest id logged, when the turn was refused, or before a batch written again: the latest committed
// value (a locking read), not the transaction's snapshot, which the batch's read of children may have fixed
// before that value committed.
constexpr absl::string_view kTurnHeldAt = "SELECT last_id FROM pii_access_log_turn WHERE id = 1 FOR UPDATE";
// A batch rolled back by a deadlock, by Galera's certification (another node's batch took the turn at the
// same moment) or by a refused turn is written again, at most this many times in all.
constexpr int kMaxAttempts = 16;
// After the preferred node failed a batch, the writer goes through any node this long before trying it again:
// a node that is down costs one connect attempt (its pool's connect timeout, 1 s) per pause, not per batch.
constexpr absl::Duration kPreferredPause = absl::Seconds(30);
constexpr absl::string_view kOnNodeMetric = "shouhu_access_log_on_node";
constexpr absl::string_view kNodeDeparturesMetric = "shouhu_access_log_node_departures_total";
constexpr absl::string_view kWaitMetric = "shouhu_access_log_wait_seconds";
constexpr absl::string_view kBatchMetric = "shouhu_access_log_batch_seconds";

// A batch of reads is at most this many callers' (a page of a search is one caller's 50 records), and
// GroupCommit refuses a caller once eight batches wait.
constexpr size_t kMaxCallersPerBatch = 256;

}  // namespace

AccessLogWriter::AccessLogWriter(db::Pool& pool, const Clock& clock, IdGenerator& ids,
                                 ReadChildren read_children, LogNode node, Metrics* metrics)
    : pool_(pool),
      preferred_(node.pool),
      node_log_(node.log),
      metrics_(metrics),
      clock_(clock),
      ids_(ids),
      read_children_(std::move(read_children)),
      queue_(
          [this](const std::vector<Order>& batch, const std::function<void()>&) { return WriteBatch(batch); },
          kMaxCallersPerBatch) {}

absl::Status AccessLogWriter::Record(std::vector<AccessRecord> records) {
  absl::Notification logged;
  absl::Status result;
  RecordThen(std::move(records), [&](absl::Status status) {
    result = std::move(status);
    logged.Notify();
  });
  logged.WaitForNotification();
  return result;
}

void AccessLogWriter::RecordThen(std::vector<AccessRecord> records, Committed committed) {
  if (records.empty()) return committed(absl::OkStatus());
  Submit({GroupIntoReads(std::move(records)), std::nullopt}, std::move(committed));
}

void AccessLogWriter::RecordThen(AccessRead read, Committed committed) {
  if (read.records.empty()) return committed(absl::OkStatus());
  Order order;
  order.reads.push_back(std::move(read));
  Submit(std::move(order), std::move(committed));
}

void AccessLogWriter::ReadChildThen(std::string child_id, DecideRead decide, Committed committed) {
  Submit({{}, ChildLookup{std::move(child_id), std::move(decide)}}, std::move(committed));
}

void AccessLogWriter::Submit(Order order, Committed committed) {
  queue_.Submit(std::move(order), [this, committed = std::move(committed),
                                   handed_over = absl::Now()](absl::StatusOr<Logged> logged) {
    if (metrics_ != nullptr) metrics_->Observe(std::string(kWaitMetric), "", absl::Now() - handed_over);
    committed(logged.status());
  });
}

std::pair<int64_t, int64_t> AccessLogWriter::CommitsAndRows() {
  absl::MutexLock lock(&mu_);
  return {commits_, rows_};
}

std::vector<absl::StatusOr<AccessLogWriter::Logged>> AccessLogWriter::WriteBatch(
    const std::vector<Order>& batch) {
  const absl::Time started = absl::Now();
  // Through any node while the preferred one pauses; back to it once the pause is over.
  if (connection_ && preferred_ != nullptr && !on_preferred_ && clock_.Now() >= try_preferred_at_) {
    connection_.reset();
  }
  absl::StatusOr<Written> written = absl::UnavailableError("no connection for the access log");
  if (!connection_) {
    absl::StatusOr<db::Lease> lease = LeaseConnection();
    if (lease.ok()) {
      connection_.emplace(*std::move(lease));
    } else {
      written = lease.status();
    }
  }
  if (connection_) written = Write(**connection_, batch);
  const absl::StatusCode failed = written.status().code();
  if (on_preferred_ && failed != absl::StatusCode::kOk && failed != absl::StatusCode::kAborted) {
    // The preferred node failed the batch (unreachable, or a Galera node not Synced refusing statements):
    // the next batches go through any node. ABORTED is the turn's own contention, not the node's fault.
    connection_.reset();
    LeavePreferred(written.status());
  } else if (failed != absl::StatusCode::kOk && failed != absl::StatusCode::kAborted) {
    // The connection goes back to the pool, which discards it if it broke (lost, or answering as one in a
    // state we do not know: db::Session::Fail); the next batch takes one from the pool.
    connection_.reset();
  }
  if (metrics_ != nullptr) metrics_->Observe(std::string(kBatchMetric), "", absl::Now() - started);
  if (!written.ok()) return std::vector<absl::StatusOr<Logged>>(batch.size(), written.status());
  {
    absl::MutexLock lock(&mu_);
    ++commits_;
    rows_ += written->records;
  }
  return std::move(written->answers);
}

void AccessLogWriter::LeavePreferred(const absl::Status& why) {
  // Said once per pause while the node fails: on Galera the turn row's conflicts come back meanwhile.
  on_preferred_ = false;
  try_preferred_at_ = clock_.Now() + kPreferredPause;
  if (metrics_ != nullptr) {
    metrics_->Set(std::string(kOnNodeMetric), "", 0);
    metrics_->Add(std::string(kNodeDeparturesMetric), "");
  }
  if (node_log_ == nullptr) return;
  node_log_->Warn("the access log is written through the main database endpoint: its node failed",
                  {{"error", why.ToString()}, {"next_try_seconds", absl::ToInt64Seconds(kPreferredPause)}});
}

absl::StatusOr<db::Lease> AccessLogWriter::LeaseConnection() {
  if (preferred_ != nullptr && clock_.Now() >= try_preferred_at_) {
    absl::StatusOr<db::Lease> lease = preferred_->Acquire();
    if (!lease.ok()) {
      LeavePreferred(lease.status());
      return pool_.Acquire();
    }
    // Back after a pause (never left: try_preferred_at_ is still its first value).
    if (try_preferred_at_ != absl::InfinitePast() && node_log_ != nullptr) {
      node_log_->Info("the access log is written through its database node again");
    }
    if (metrics_ != nullptr) metrics_->Set(std::string(kOnNodeMetric), "", 1);
    on_preferred_ = true;
    try_preferred_at_ = absl::InfinitePast();
    return lease;
  }
  on_preferred_ = false;
  return pool_.Acquire();
}

absl::StatusOr<AccessLogWriter::Written> AccessLogWriter::Write(db::Session& session,
                                                                const std::vector<Order>& batch) {
  absl::StatusOr<Written> written;
  bool overtaken = false;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    RETURN_IF_ERROR(session.Begin());
    // The turn is taken last, just before COMMIT; after a refused turn, first, so that on one server a writer
    // whose ids were overtaken is not overtaken again (another replica writing without pause would otherwise
    // win every time). Not after a deadlock: on Galera a turn held from the start is a lock another node's
    // commits abort (brute force) all the while this batch is written; taken last, only in its last moment.
    const bool turn_first = overtaken;
    overtaken = false;
    written = WriteInTransaction(session, batch, turn_first, overtaken);
    if (written.ok()) {
      // On Galera, ABORTED too when the cluster rolled the batch back without telling it
      // (db::Session::Commit): what ran after that had gone on in a transaction of its own, the turn moved
      // without the records.
      absl::Status committed = session.Commit();
      if (committed.ok()) return written;
      written = std::move(committed);
    } else {
      session.Rollback();
    }
    // ABORTED is a transaction rolled back for certain (nothing of it landed): written again with fresh ids.
    // Anything else, a lost connection or a COMMIT unanswered among them, fails the batch's readers.
    if (written.status().code() != absl::StatusCode::kAborted) return written;
    // Two nodes' writers that collide on the turn and retry at once collide again, and a writer whose every
    // attempt meets the other node's commits needs a gap in them: a random pause, doubling from 0.5 ms to at
    // most 64 ms (all pauses together at most about 0.6 s), turns what ran out of attempts (on Galera, with
    // both writers logging without pause) into a wait for such a gap.
    if (!overtaken) {
      const int64_t bound_us = int64_t{250} << std::min(attempt, 8);  // 0.5 ms, 1 ms, … 64 ms
      absl::SleepFor(absl::Microseconds(absl::Uniform<int64_t>(retry_jitter_, 0, bound_us)));
    }
  }
  return written;
}

absl::Status AccessLogWriter::TakeTurn(db::Session& session, const std::string& first_id,
                                       const std::string& last_id, bool& overtaken) {
  ASSIGN_OR_RETURN(uint64_t taken, session.Execute(kTakeTurn, {last_id, first_id}));
  if (taken == 1) return absl::OkStatus();
  RETURN_IF_ERROR(RaiseAboveTurn(session));
  overtaken = true;
  return absl::AbortedError("another writer logged higher ids first; written again above them");
}

absl::Status AccessLogWriter::RaiseAboveTurn(db::Session& session) {
  ASSIGN_OR_RETURN(std::optional<db::Row> held, session.QueryOne(kTurnHeldAt));
  if (!held) return absl::FailedPreconditionError("pii_access_log_turn has no row (migration 0049)");
  ids_.Raise(held->String(0));
  return absl::OkStatus();
}

absl::StatusOr<AccessLogWriter::Written> AccessLogWriter::WriteInTransaction(db::Session& session,
                                                                             const std::vector<Order>& batch,
                                                                             bool turn_first,
                                                                             bool& overtaken) {
  if (turn_first) RETURN_IF_ERROR(RaiseAboveTurn(session));
  ASSIGN_OR_RETURN(auto decided, DecideLookups(session, batch));
  Written written;
  written.answers.assign(batch.size(), Logged{});
  const std::string at = ToSqlTimestamp(clock_.Now());
  std::vector<db::Value> read_params;
  std::vector<db::Value> record_params;
  std::string first_id, last_id;  // the batch's lowest and highest ids: IdGenerator counts up
  read_params.reserve(batch.size() * kParamsPerRead);
  const auto add = [&](const AccessRead& read) -> absl::Status {
    // Entry ids in the order of the records; the first is the read's id, so every entry of a read sorts
    // after the read's id and before the next read's. (Given here, not by the caller: ids must commit in
    // their order.)
    std::vector<std::string> entry_ids;
    entry_ids.reserve(read.records.size());
    for (size_t i = 0; i < read.records.size(); ++i) entry_ids.push_back(ids_.Next());
    const std::string& log_id = entry_ids.front();
    ASSIGN_OR_RETURN(const int64_t week, AccessLogWeek(log_id));
    if (first_id.empty()) first_id = log_id;
    last_id = entry_ids.back();
    read_params.insert(
        read_params.end(),
        {log_id, at, read.subject, read.organisation_id, read.record_type, read.fields, read.purpose,
         read.method, CommonVillagePrefix(read.records), EncodeAccessedRecords(read.records, entry_ids)});
    // A record shown twice in one read is one row of "who read this record" (its key is (record, read)).
    std::set<absl::string_view> seen;
    for (const AccessedRecord& r : read.records) {
      if (seen.insert(r.record_id).second)
        record_params.insert(record_params.end(), {week, r.record_id, log_id});
    }
    written.records += static_cast<int64_t>(read.records.size());
    return absl::OkStatus();
  };
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!decided[i]) {
      for (const AccessRead& read : batch[i].reads) RETURN_IF_ERROR(add(read));
    } else if (!decided[i]->ok()) {
      written.answers[i] = decided[i]->status();
    } else if (!(*decided[i])->records.empty()) {
      RETURN_IF_ERROR(add(**decided[i]));
    }
  }
  RETURN_IF_ERROR(
      InsertPadded(session, kInsertReads, kReadPlaceholders, kReadsRepeated, kParamsPerRead, read_params));
  RETURN_IF_ERROR(InsertPadded(session, kInsertRecords, kRecordPlaceholders, kRecordsRepeated,
                               kParamsPerRecord, record_params));
  if (!first_id.empty()) RETURN_IF_ERROR(TakeTurn(session, first_id, last_id, overtaken));
  return written;
}

absl::StatusOr<std::vector<std::optional<absl::StatusOr<AccessRead>>>> AccessLogWriter::DecideLookups(
    db::Session& session, const std::vector<Order>& batch) {
  std::vector<std::optional<absl::StatusOr<AccessRead>>> decided(batch.size());
  std::vector<std::string> child_ids;
  for (const Order& order : batch) {
    if (order.lookup) child_ids.push_back(order.lookup->child_id);
  }
  if (child_ids.empty()) return decided;
  if (!read_children_) return absl::InternalError("this access log was given no way to read children");
  std::sort(child_ids.begin(), child_ids.end());
  child_ids.erase(std::unique(child_ids.begin(), child_ids.end()), child_ids.end());
  // Read in this transaction: what a reader is shown is what the log records it was shown, as of one moment.
  ASSIGN_OR_RETURN(auto children, read_children_(session, child_ids));
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].lookup) continue;
    const auto found = children.find(batch[i].lookup->child_id);
    if (found == children.end()) {
      decided[i] = batch[i].lookup->decide(std::nullopt);
    } else if (!found->second.ok()) {
      decided[i] = found->second.status();
    } else {
      decided[i] = batch[i].lookup->decide(*found->second);
    }
  }
  return decided;
}

}  // namespace shouhu::registry
