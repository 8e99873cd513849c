// The ids of the API clients that exist, kept in memory by each gateway replica, so that an attempt at an id
// that names no client is refused without a credential worker or a read of the tables. Someone guessing
// well-formed ids, each a new one, is not held by the per-id limit of slow checks (api_clients.h): before
// this, every guess took a slow-check worker and a primary-key read, and a flood over many ids filled the
// workers' queue, so every county system's first login to a replica was refused RESOURCE_EXHAUSTED until it
// stopped.
//
// A province has a few thousand clients: the whole set is read (in pages of ids, by the primary key) when the
// authenticator starts. An id not in it may be a client created a moment ago through another replica: it
// makes the ids created since be read (at most once per kReadEvery, on a worker, never on a gRPC thread), and
// attempts meanwhile are refused as guesses without waiting. Ids sort by creation time (common/ids.h), so
// that read is one range of the primary key, but not from the newest known id itself: an id is made from its
// replica's clock when the client is created, and a replica whose clock is behind, or a creation committed
// (or replicated through Galera) after a later one, gives an id below the newest known one. So the range
// starts kLateArrival before the newest known id (or before now, if that is earlier: an id made by a clock
// far ahead would move the start past every id made after it), which reads the few clients created in those
// minutes again, and once per kWholeReadEvery the read takes every id, for anything later still. Ids are only
// added: a client is never deleted, and a revoked one is refused by the usual check.
//
// If the set cannot be read (the database down at start), every id is checked as before, under the per-id
// limit, and the set is read again on an unknown id's turn: a missing set must not lock out every county.
#ifndef SHOUHU_SERVICES_GATEWAY_KNOWN_CLIENT_IDS_H_
#define SHOUHU_SERVICES_GATEWAY_KNOWN_CLIENT_IDS_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "services/gateway/gateway_store.h"

namespace shouhu::gateway {

class KnownClientIds {
 public:
  enum class Verdict {
    kKnown,      // a client's id: checked as usual
    kUnknown,    // not a client's id, as far as a moment ago: refused as a guess
    kReadFirst,  // not in the set, and the caller's turn to Read() what was created since, then ask again
    kUnread,     // the set could not be read: checked as usual
  };

  KnownClientIds(ApiClientCredentialStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // What is known of `client_id`. kReadFirst is given to one caller at a time, at most once per kReadEvery
  // after the last Read() ended.
  Verdict Judge(const std::string& client_id);
  // Reads the ids created since a little before the newest known one (every id while the set was never read,
  // and once per kWholeReadEvery) into the set. Ends the turn a kReadFirst gave, if any.
  absl::Status Read();
  // Ends the turn a kReadFirst gave without reading (the read could not be queued).
  void GiveBackTurn();
  // A client this replica just created: known at once.
  void Add(const std::string& client_id);

 private:
  static constexpr absl::Duration kReadEvery = absl::Seconds(1);
  static constexpr absl::Duration kLateArrival = absl::Minutes(5);
  static constexpr absl::Duration kWholeReadEvery = absl::Minutes(10);
  static constexpr int kPage = 1000;

  void Insert(const std::string& client_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ApiClientCredentialStore& store_;
  const Clock& clock_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> ids_ ABSL_GUARDED_BY(mu_);
  std::string newest_ ABSL_GUARDED_BY(mu_);  // the greatest id in ids_
  bool read_once_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time whole_read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  // The first read (at start) does not count: a client created between it and the first attempt gets in at
  // once.
  absl::Time read_ended_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace shouhu::gateway

#endif  // SHOUHU_SERVICES_GATEWAY_KNOWN_CLIENT_IDS_H_
