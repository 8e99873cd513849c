#include "services/gateway/known_client_ids.h"

#include <algorithm>
#include <vector>

#include "common/ids.h"

namespace shouhu::gateway {

KnownClientIds::Verdict KnownClientIds::Judge(const std::string& client_id) {
  {
    // Every API-client call asks, and nearly every one is a client's.
    absl::ReaderMutexLock lock(&mu_);
    if (ids_.contains(client_id)) return Verdict::kKnown;
  }
  absl::MutexLock lock(&mu_);
  if (ids_.contains(client_id)) return Verdict::kKnown;
  if (!reading_ && clock_.Now() - read_ended_ >= kReadEvery) {
    reading_ = true;
    return Verdict::kReadFirst;
  }
  return read_once_ ? Verdict::kUnknown : Verdict::kUnread;
}

absl::Status KnownClientIds::Read() {
  std::string after;  // the range read starts past it; "" for every id
  bool whole = false;
  absl::Time now;
  {
    absl::MutexLock lock(&mu_);
    now = clock_.Now();
    whole = !read_once_ || now - whole_read_at_ >= kWholeReadEvery;
    if (!whole && !newest_.empty()) {
      const absl::Time newest = absl::FromUnixMillis(*IdUnixMillis(newest_));
      // An id of that millisecond: its random part does not matter, the margin is minutes.
      ManualClock start(std::min(newest, now) - kLateArrival);
      after = IdGenerator(start).Next();
    }
  }
  absl::Status status = absl::OkStatus();
  std::vector<std::string> read;
  for (;;) {
    absl::StatusOr<std::vector<std::string>> page = store_.ClientIdsAfter(after, kPage);
    if (!page.ok()) {
      status = page.status();
      break;
    }
    read.insert(read.end(), page->begin(), page->end());
    if (page->size() < static_cast<size_t>(kPage)) break;
    after = page->back();
  }
  absl::MutexLock lock(&mu_);
  // What was read is kept even when a later page failed: each id in it is a client's.
  for (const std::string& id : read) Insert(id);
  if (status.ok()) {
    read_once_ = true;
    if (whole) whole_read_at_ = now;
  }
  if (reading_) {
    reading_ = false;
    read_ended_ = clock_.Now();
  }
  return status;
}

void KnownClientIds::GiveBackTurn() {
  absl::MutexLock lock(&mu_);
  reading_ = false;
}

void KnownClientIds::Add(const std::string& client_id) {
  absl::MutexLock lock(&mu_);
  Insert(client_id);
}

void KnownClientIds::Insert(const std::string& client_id) {
  // One of another shape (written into the table by hand) is refused before it is looked for here.
  if (!IsWellFormedId(client_id)) return;
  ids_.insert(client_id);
  if (client_id > newest_) newest_ = client_id;
}

}  // namespace shouhu::gateway
