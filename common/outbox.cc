#include "common/outbox.h"

#include <unistd.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/batch_statements.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace shouhu {
namespace {

constexpr absl::string_view kInsertEventsHead =
    "INSERT INTO outbox_events (event_id, event_type, aggregate_id, occurred_at, payload) VALUES ";
constexpr absl::string_view kEventTuple = "(?, ?, ?, ?, ?)";
// The sequencer's batch (outbox.h): the counter row first, so sequencers take turns; then the unsequenced
// events committed when the read began, in position order, by a plain (consistent) read: its snapshot holds
// every earlier event of an aggregate whose later event it holds. (A locking read with SKIP LOCKED sees
// each row as it reaches it: it skipped an event still committing, and then found the aggregate's next
// event, committed meanwhile, further on, and numbered the two out of order.) They are read in
// the order of the (sequence, position) index, which the optimizer is told to use: left to choose, it takes
// the unique key on `sequence` (equally selective for NULL) and sorts what it finds (EXPLAIN: filesort), a
// sort per batch over every pending row however small the batch.
// The counter row comes with the lease (outbox.h): its holder and the microseconds it has left by the
// database's clock (negative once run out), so replicas compare against the database's clock, not their own.
constexpr absl::string_view kLockSequence =
    "SELECT last_sequence, holder, TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), lease_until) "
    "FROM outbox_sequence WHERE id = 1 FOR UPDATE";
// A non-holder's look before it locks anything: a live lease of another sequencer means there is nothing to
// do, and a plain read neither waits behind the holder's batch nor, on Galera, is touched by certification.
constexpr absl::string_view kPeekLease =
    "SELECT holder, TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), lease_until) FROM outbox_sequence "
    "WHERE id = 1";
constexpr absl::string_view kPending =
    "SELECT position FROM outbox_events FORCE INDEX (outbox_unsequenced) WHERE sequence IS NULL "
    "ORDER BY position LIMIT ?";
// Numbers a batch: "CASE position WHEN ? THEN ? ..." and the positions' IN list, an arm and a position per
// event.
constexpr absl::string_view kNumberHead = "UPDATE outbox_events SET sequence = CASE position";
constexpr absl::string_view kNumberWhere = " END WHERE position IN (";
// Advancing the counter also claims or renews the lease: the batch writes the row anyway.
constexpr absl::string_view kAdvanceSequence =
    "UPDATE outbox_sequence SET last_sequence = ?, holder = ?, "
    "lease_until = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND WHERE id = 1";
// Claims or renews the lease when there is nothing to number (an idle holder, a takeover).
constexpr absl::string_view kClaimLease =
    "UPDATE outbox_sequence SET holder = ?, lease_until = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND "
    "WHERE id = 1";
// A stopping holder hands the lease on at once instead of making the others wait for it to run out.
constexpr absl::string_view kReleaseLease =
    "UPDATE outbox_sequence SET lease_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
    "WHERE id = 1 AND holder = ?";
constexpr absl::string_view kReadAfter =
    "SELECT sequence, event_id, event_type, aggregate_id, occurred_at, payload FROM outbox_events "
    "WHERE sequence > ? ORDER BY sequence LIMIT ?";
constexpr absl::string_view kLastSequence = "SELECT COALESCE(MAX(sequence), 0) FROM outbox_events";
constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

// Events numbered per sequencer transaction: a batch holds the counter row for one index read and one
// UPDATE of its events by primary key, so other replicas' sequencers wait at most that long.
constexpr int kSequenceBatch = 500;
// For events this process was not told about: committed by another replica whose sequencer has not run yet,
// or left unsequenced by a process that died between its commit and its sequencer. An idle poll is one
// plain read of the lease, then (on the holder) one locking read of the counter row and an empty index range.
constexpr absl::Duration kSequencerPoll = absl::Milliseconds(250);
// The sequencer lease. Its holder renews it with every batch that numbers and, when idle, at the first poll
// after kRenewIdleAfter (so an idle holder writes the row once a second, not at every poll). A holder that
// dies is replaced at the first poll of another replica after its lease ran out: within kSequencerLease +
// kSequencerPoll of its last renewal. Meanwhile events are committed, unnumbered, never lost. Every clock
// compared is the database's (UTC_TIMESTAMP on the node the sequencer talks to): on Galera, node clocks
// skewed by a large part of the lease cause only early takeovers, which the counter row keeps correct.
// Bound on an event's numbering: the holder's own at once (its commit wakes it), or within kSequencerSpacing
// of the previous run under load; another replica's within one holder poll (kSequencerPoll) plus a batch.
constexpr absl::Duration kSequencerLease = absl::Seconds(3);
// After a run that numbered something, the next one waits this long: under load every commit wakes the
// sequencer, and a run is seven statements and a commit of its own however few events it numbers, plus an
// index walk over the numbered events not yet purged (the payments benchmark at 64: a run per batch of some
// 30 payments, as many commits as the payments' own, the walk several ms when purge lags). Spaced, a run
// numbers what some 25 ms brought; a lone event after a quiet spell is numbered at once.
constexpr absl::Duration kSequencerSpacing = absl::Milliseconds(25);
constexpr absl::Duration kRenewIdleAfter = absl::Seconds(1);
// A sequencer that keeps failing polls four times a second: say so once a minute, not at every poll.
constexpr absl::Duration kFailureReportEvery = absl::Minutes(1);

// Names one Outbox in the lease: unique per instance (two in one process are two sequencers), readable by an
// operator looking at outbox_sequence (which host, which process).
std::string HolderName(IdGenerator& ids) {
  char host[65] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return absl::StrCat(host, "/", getpid(), "/", ids.Next());
}

}  // namespace

Outbox::Outbox(db::Pool& pool, IdGenerator& ids, EventFeedOptions feed)
    : pool_(pool),
      ids_(ids),
      holder_(HolderName(ids)),
      feed_([this](int64_t after, int limit) { return ReadAfter(after, limit); },
            [this] { return LastSequence(); }, feed),
      sequencer_([this] { RunSequencer(); }) {}

Outbox::~Outbox() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  sequencer_.join();
  // Best effort: if the database is out of reach the lease simply runs out.
  pool_.Autocommit([&](db::Session& s) { return s.Execute(kReleaseLease, {holder_}).status(); })
      .IgnoreError();
}

absl::Status Outbox::Append(db::Session& tx, absl::string_view aggregate_id,
                            const google::protobuf::Message& payload, absl::Time occurred_at) {
  RETURN_IF_ERROR(tx.Execute(absl::StrCat(kInsertEventsHead, kEventTuple),
                             {ids_.Next(), payload.GetDescriptor()->full_name(), std::string(aggregate_id),
                              ToSqlTimestamp(occurred_at), payload.SerializeAsString()})
                      .status());
  tx.AfterCommit([this] { WakeSequencer(); });
  return absl::OkStatus();
}

absl::Status Outbox::AppendAll(db::Session& tx, const std::vector<Pending>& events) {
  if (events.empty()) return absl::OkStatus();
  std::vector<db::Value> params;
  params.reserve(5 * events.size());
  for (const Pending& e : events) {
    params.insert(params.end(), {ids_.Next(), e.payload->GetDescriptor()->full_name(), e.aggregate_id,
                                 ToSqlTimestamp(e.occurred_at), e.payload->SerializeAsString()});
  }
  // In power-of-two chunks, in order (batch_statements.h): positions follow the events' order.
  RETURN_IF_ERROR(db::InsertRows(tx, kInsertEventsHead, kEventTuple, 5, params).status());
  tx.AfterCommit([this] { WakeSequencer(); });
  return absl::OkStatus();
}

void Outbox::WakeSequencer() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

absl::StatusOr<int64_t> Outbox::SequencePending() {
  int64_t total = 0;
  for (;;) {
    ASSIGN_OR_RETURN(int64_t numbered, SequenceBatch(kSequenceBatch));
    total += numbered;
    if (numbered < kSequenceBatch) return total;
  }
}

absl::StatusOr<int64_t> Outbox::SequenceBatch(int limit) {
  auto held_elsewhere = [&](db::Session& s) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(std::optional<db::Row> lease, s.QueryOne(kPeekLease));
    if (!lease) return absl::InternalError("outbox_sequence row is missing");
    return lease->String(0) != holder_ && lease->Int(1) > 0;
  };
  ASSIGN_OR_RETURN(bool not_mine, db::ReadOne<bool>(pool_, held_elsewhere));
  if (not_mine) return 0;
  const int64_t lease_us = absl::ToInt64Microseconds(kSequencerLease);
  int64_t numbered = 0;
  RETURN_IF_ERROR(pool_.Transaction([&](db::Session& tx) -> absl::Status {
    numbered = 0;
    ASSIGN_OR_RETURN(std::optional<db::Row> counter, tx.QueryOne(kLockSequence));
    if (!counter) return absl::InternalError("outbox_sequence row is missing");
    int64_t last = counter->Int(0);
    const bool mine = counter->String(1) == holder_;
    const int64_t left_us = counter->Int(2);
    // Decided again under the row's lock: another sequencer may have claimed the lease since the peek.
    if (!mine && left_us > 0) return absl::OkStatus();
    ASSIGN_OR_RETURN(db::Rows pending, tx.Query(kPending, {int64_t{limit}}));
    if (pending.empty()) {
      if (!mine || left_us < lease_us - absl::ToInt64Microseconds(kRenewIdleAfter)) {
        RETURN_IF_ERROR(tx.Execute(kClaimLease, {holder_, lease_us}).status());
      }
      return absl::OkStatus();
    }
    // One statement numbers the whole batch (a CASE arm per event): a statement per event cost the
    // allowance payments' group commit as many statements as it saved. Arms and positions are padded to a
    // power of two by repeating the last (batch_statements.h): a repeated arm gives the same number.
    const std::string number = absl::StrCat(kNumberHead, db::PaddedList(" WHEN ? THEN ?", "", pending.size()),
                                            kNumberWhere, db::PaddedList("?", ", ", pending.size()), ")");
    std::vector<db::Value> params;
    params.reserve(3 * db::PaddedCount(pending.size()));
    for (const db::Row& row : pending) {
      params.emplace_back(row.Int(0));
      params.emplace_back(++last);
    }
    db::PadEntries(params, 0, 2, pending.size());
    const size_t positions = params.size();
    for (const db::Row& row : pending) params.emplace_back(row.Int(0));
    db::PadEntries(params, positions, 1, pending.size());
    RETURN_IF_ERROR(tx.Execute(number, params).status());
    RETURN_IF_ERROR(tx.Execute(kAdvanceSequence, {last, holder_, lease_us}).status());
    numbered = static_cast<int64_t>(pending.size());
    tx.AfterCommit([this] { feed_.Wake(); });
    return absl::OkStatus();
  }));
  return numbered;
}

void Outbox::ReportFailuresTo(Logger& log) {
  absl::MutexLock lock(&mu_);
  log_ = &log;
}

void Outbox::RunSequencer() {
  std::optional<absl::Time> failing_since;
  absl::Time last_report;
  absl::Time spaced_until = absl::InfinitePast();
  for (;;) {
    Logger* log;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(this, &Outbox::WokenOrStopping), kSequencerPoll);
      const absl::Duration spacing = spaced_until - absl::Now();
      if (!stopping_ && spacing > absl::ZeroDuration()) {
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), spacing);
      }
      if (stopping_) return;
      woken_ = false;
      log = log_;
    }
    // A failure (the database out of reach, the table not migrated yet) is retried at the next wake or
    // poll; what was not numbered stays unsequenced until then, never lost.
    absl::StatusOr<int64_t> sequenced = SequencePending();
    absl::Status numbered = sequenced.status();
    const absl::Time now = absl::Now();
    if (sequenced.ok() && *sequenced > 0) spaced_until = now + kSequencerSpacing;
    if (!numbered.ok()) {
      if (!failing_since) failing_since = now;
      if (log != nullptr && (now == *failing_since || now - last_report >= kFailureReportEvery)) {
        log->Error("outbox sequencer cannot number events; they stay unstreamed until it can",
                   {{"error", std::string(numbered.message())},
                    {"failing_for_s", absl::ToInt64Seconds(now - *failing_since)}});
        last_report = now;
      }
    } else if (failing_since) {
      if (log != nullptr) {
        log->Info("outbox sequencer numbers events again",
                  {{"failed_for_s", absl::ToInt64Seconds(now - *failing_since)}});
      }
      failing_since.reset();
    }
  }
}

absl::StatusOr<std::vector<common::v1::Event>> Outbox::ReadAfter(int64_t after, int limit) {
  std::vector<common::v1::Event> events;
  RETURN_IF_ERROR(pool_.Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, session.Query(kReadAfter, {after, int64_t{limit}}));
    for (const db::Row& row : rows) {
      common::v1::Event& event = events.emplace_back();
      event.set_sequence(row.Int(0));
      event.set_event_id(row.String(1));
      event.set_type(row.String(2));
      event.set_aggregate_id(row.String(3));
      ASSIGN_OR_RETURN(absl::Time at, FromSqlTimestamp(row.String(4)));
      *event.mutable_occurred_at() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(at));
      event.mutable_payload()->set_type_url(absl::StrCat(kTypeUrlPrefix, row.String(2)));
      event.mutable_payload()->set_value(row.String(5));
    }
    return absl::OkStatus();
  }));
  return events;
}

absl::StatusOr<int64_t> Outbox::LastSequence() {
  return db::ReadOne<int64_t>(pool_, [](db::Session& session) -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(std::optional<db::Row> row, session.QueryOne(kLastSequence));
    return row ? row->Int(0) : 0;
  });
}

}  // namespace shouhu
