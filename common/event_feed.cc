#include "common/event_feed.h"

#include <algorithm>
#include <limits>

namespace shouhu {
namespace {

// Counted per event besides the message's own memory (SpaceUsedLong: its object, strings and sub-messages):
// the shared_ptr's control block and the deque's slot.
constexpr size_t kSlotOverhead = 64;

size_t Cost(const common::v1::Event& event) { return event.SpaceUsedLong() + kSlotOverhead; }

}  // namespace

EventFeed::EventFeed(ReadAfter read_after, LastSequence last_sequence, EventFeedOptions options)
    : read_after_(std::move(read_after)), last_sequence_(std::move(last_sequence)), options_(options) {}

EventFeed::~EventFeed() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (reader_.joinable()) reader_.join();
  catch_up_.reset();  // finishes reads still queued while what they report to exists
}

void EventFeed::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

absl::Status EventFeed::Attach(EventFollower* follower, int64_t after) {
  Step step;
  {
    absl::MutexLock lock(&mu_);
    if (ending_ || stopping_) {
      return absl::UnavailableError("the service is shutting down; resume from the last sequence received");
    }
    Cursor& cursor = followers_[follower];
    cursor.after = after;
    if (!reader_.joinable()) {
      // Each follower has at most one read queued, so the followers bound the queue.
      catch_up_ = std::make_unique<WorkerPool>(std::max(1, options_.catch_up_threads),
                                               std::numeric_limits<size_t>::max());
      reader_ = std::thread([this] { RunReader(); });
    }
    step = Decide(follower, cursor);
  }
  Run(std::move(step));
  return absl::OkStatus();
}

void EventFeed::WriteDone(EventFollower* follower, bool ok) {
  Step step;
  {
    absl::MutexLock lock(&mu_);
    auto it = followers_.find(follower);
    if (it == followers_.end()) return;
    Cursor& cursor = it->second;
    cursor.state = Cursor::State::kIdle;
    if (!ok && !cursor.end) cursor.end = absl::CancelledError("the stream was broken off");
    step = Decide(follower, cursor);
  }
  Run(std::move(step));
}

void EventFeed::Cancel(EventFollower* follower) {
  Step step;
  {
    absl::MutexLock lock(&mu_);
    auto it = followers_.find(follower);
    if (it == followers_.end()) return;
    if (!it->second.end) it->second.end = absl::CancelledError("the caller cancelled the stream");
    step = Decide(follower, it->second);
  }
  Run(std::move(step));
}

void EventFeed::EndStreams() {
  std::vector<Step> steps;
  {
    absl::MutexLock lock(&mu_);
    ending_ = true;
    for (auto& [follower, cursor] : followers_) {
      if (!cursor.end) {
        cursor.end =
            absl::UnavailableError("the service is shutting down; resume from the last sequence received");
      }
    }
    steps = DecideForIdle();
  }
  for (Step& step : steps) Run(std::move(step));
}

std::optional<int64_t> EventFeed::LastKnownSequence() {
  absl::MutexLock lock(&mu_);
  if (!reader_ready_) return std::nullopt;
  return last_;
}

size_t EventFeed::FollowerCount() {
  absl::MutexLock lock(&mu_);
  return followers_.size();
}

size_t EventFeed::WindowBytes() {
  absl::MutexLock lock(&mu_);
  return window_bytes_;
}

uint64_t EventFeed::CatchUpReads() {
  absl::MutexLock lock(&mu_);
  return catch_up_reads_;
}

EventFeed::Step EventFeed::Decide(EventFollower* follower, Cursor& cursor) {
  Step step;
  step.follower = follower;
  if (cursor.state != Cursor::State::kIdle) return step;  // its write or read will call again
  if (cursor.end) {
    step.kind = Step::Kind::kEnd;
    step.status = *cursor.end;
    for (const Held& held : cursor.backlog) backlog_bytes_ -= held.cost;
    followers_.erase(follower);  // `cursor` is gone from here on
    return step;
  }
  if (!cursor.backlog.empty()) {
    step.kind = Step::Kind::kWrite;
    backlog_bytes_ -= cursor.backlog.front().cost;
    step.event = std::move(cursor.backlog.front().event);
    cursor.backlog.pop_front();
    cursor.after = step.event->sequence();
    cursor.state = Cursor::State::kWriting;
    return step;
  }
  const bool behind_window = reader_ready_ ? cursor.after < floor_ : !cursor.read_to_table_end;
  if (behind_window) {
    step.kind = Step::Kind::kRead;
    step.after = cursor.after;
    step.limit = backlog_bytes_ < options_.catch_up_bytes ? options_.read_batch : 1;
    cursor.state = Cursor::State::kReading;
    ++catch_up_reads_;
    return step;
  }
  if (!reader_ready_) return step;  // read to the end of the table: the reader's first read wakes it
  auto next =
      std::upper_bound(window_.begin(), window_.end(), cursor.after,
                       [](int64_t after, const Held& held) { return after < held.event->sequence(); });
  if (next == window_.end()) return step;  // at the tail: the reader's next read wakes it
  step.kind = Step::Kind::kWrite;
  step.event = next->event;
  cursor.after = step.event->sequence();
  cursor.state = Cursor::State::kWriting;
  return step;
}

std::vector<EventFeed::Step> EventFeed::DecideForIdle() {
  std::vector<EventFollower*> idle;
  for (const auto& [follower, cursor] : followers_) {
    if (cursor.state == Cursor::State::kIdle) idle.push_back(follower);
  }
  std::vector<Step> steps;
  for (EventFollower* follower : idle) {
    Step step = Decide(follower, followers_.at(follower));
    if (step.kind != Step::Kind::kNone) steps.push_back(std::move(step));
  }
  return steps;
}

void EventFeed::Run(Step step) {
  switch (step.kind) {
    case Step::Kind::kNone:
      return;
    case Step::Kind::kWrite:
      step.follower->Write(*step.event);
      return;
    case Step::Kind::kEnd:
      step.follower->End(step.status);
      return;
    case Step::Kind::kRead: {
      EventFollower* follower = step.follower;
      const int64_t after = step.after;
      const int limit = step.limit;
      const bool queued = catch_up_->Submit(
          [this, follower, after, limit] { ReadDone(follower, limit, read_after_(after, limit)); });
      if (!queued) ReadDone(follower, limit, absl::UnavailableError("the service is shutting down"));
      return;
    }
  }
}

void EventFeed::ReadDone(EventFollower* follower, int limit,
                         absl::StatusOr<std::vector<common::v1::Event>> events) {
  std::vector<Held> read = events.ok() ? Hold(*std::move(events)) : std::vector<Held>();
  Step step;
  {
    absl::MutexLock lock(&mu_);
    auto it = followers_.find(follower);
    if (it == followers_.end()) return;
    Cursor& cursor = it->second;
    cursor.state = Cursor::State::kIdle;
    if (!events.ok()) {
      // The database is out of reach: the client reconnects (with backoff) rather than wait here unseen.
      if (!cursor.end) cursor.end = absl::UnavailableError("the events could not be read; retry later");
    } else {
      cursor.read_to_table_end = static_cast<int>(read.size()) < limit;
      for (Held& held : read) {
        if (held.event->sequence() <= cursor.after) continue;
        backlog_bytes_ += held.cost;
        cursor.backlog.push_back(std::move(held));
      }
    }
    step = Decide(follower, cursor);
  }
  Run(std::move(step));
}

std::vector<EventFeed::Held> EventFeed::Hold(std::vector<common::v1::Event> events) {
  std::vector<Held> held;
  held.reserve(events.size());
  for (common::v1::Event& event : events) {
    const size_t cost = Cost(event);
    held.push_back({std::make_shared<const common::v1::Event>(std::move(event)), cost});
  }
  return held;
}

std::vector<EventFeed::Step> EventFeed::Append(std::vector<common::v1::Event> events) {
  std::vector<Held> read = Hold(std::move(events));  // outside the lock: SpaceUsedLong walks each message
  absl::MutexLock lock(&mu_);
  for (Held& held : read) {
    if (held.event->sequence() <= last_) continue;
    last_ = held.event->sequence();
    window_bytes_ += held.cost;
    window_.push_back(std::move(held));
  }
  while (window_bytes_ > options_.window_bytes && !window_.empty()) {
    floor_ = window_.front().event->sequence();
    window_bytes_ -= window_.front().cost;
    window_.pop_front();
  }
  return DecideForIdle();
}

void EventFeed::RunReader() {
  for (bool first = true;; first = false) {
    bool ready;
    int64_t last;
    {
      absl::MutexLock lock(&mu_);
      if (!first) {
        mu_.AwaitWithTimeout(absl::Condition(this, &EventFeed::WokenOrStopping), options_.poll_interval);
      }
      if (stopping_) return;
      woken_ = false;
      ready = reader_ready_;
      last = last_;
    }
    if (!ready) {
      // Followers older than this read the table until they reach it; newer events go through the window.
      absl::StatusOr<int64_t> head = last_sequence_();
      if (!head.ok()) continue;  // the database is out of reach: try at the next poll
      std::vector<Step> steps;
      {
        absl::MutexLock lock(&mu_);
        floor_ = last_ = last = *head;
        reader_ready_ = true;
        steps = DecideForIdle();
      }
      for (Step& step : steps) Run(std::move(step));
    }
    for (;;) {
      absl::StatusOr<std::vector<common::v1::Event>> events = read_after_(last, options_.read_batch);
      if (!events.ok() || events->empty()) break;
      const bool more = static_cast<int>(events->size()) == options_.read_batch;
      last = events->back().sequence();
      for (Step& step : Append(*std::move(events))) Run(std::move(step));
      if (!more) break;
    }
  }
}

}  // namespace shouhu
