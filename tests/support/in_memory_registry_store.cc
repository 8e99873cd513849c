#include "tests/support/in_memory_registry_store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/scope.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "shouhu/registry/v1/events.pb.h"

namespace shouhu::registry::testing {
namespace {

std::string KeyText(const IdempotencyKey& key) {
  return absl::StrCat(key.method, "\n", key.caller, "\n", key.request_id);
}

bool InPrefix(absl::string_view code, absl::string_view prefix) {
  return code >= prefix && code < DivisionPrefixEnd(prefix);
}

}  // namespace

void InMemoryRegistryStore::AddDivision(const v1::Division& division) {
  absl::MutexLock lock(&mu_);
  divisions_[division.code()] = division;
}

size_t InMemoryRegistryStore::referrals() const {
  absl::MutexLock lock(&mu_);
  return referrals_.size();
}
size_t InMemoryRegistryStore::children() const {
  absl::MutexLock lock(&mu_);
  return children_.size();
}
size_t InMemoryRegistryStore::cases() const {
  absl::MutexLock lock(&mu_);
  return cases_.size();
}
size_t InMemoryRegistryStore::idempotency_records() const {
  absl::MutexLock lock(&mu_);
  return answers_.size();
}
size_t InMemoryRegistryStore::access_log_entries() const {
  absl::MutexLock lock(&mu_);
  return access_log_.size();
}

template <typename Response>
absl::StatusOr<Response> InMemoryRegistryStore::Idempotent(
    const IdempotencyKey& key, const std::function<absl::StatusOr<Response>()>& first) {
  auto recorded = answers_.find(KeyText(key));
  if (recorded != answers_.end()) {
    if (recorded->second.request_hash != key.request_hash) {
      return InvalidField("request_id", "was already used for a different request");
    }
    Response response;
    if (!response.ParseFromString(recorded->second.bytes)) return absl::DataLossError("unreadable answer");
    return response;
  }
  ASSIGN_OR_RETURN(Response answer, first());
  answers_[KeyText(key)] = {key.request_hash, answer.SerializeAsString()};
  return answer;
}

ReferralRecord InMemoryRegistryStore::Resolved(const ReferralRecord& stored) const {
  ReferralRecord record = stored;
  if (record.linked) {
    auto child = children_.find(record.linked->child_id);
    if (child != children_.end()) {
      const v1::Child now = WithCase(child->second);
      record.linked->village_code = now.household().village_code();
      record.linked->organisation_id = now.organisation_id();
    }
  }
  // As the MariaDB store: whose case a possible duplicate is in is not read after submission.
  for (ChildMatch& m : record.possible_duplicates) {
    m.village_code = record.referral.household().village_code();
    m.organisation_id.clear();
  }
  return record;
}

v1::Child InMemoryRegistryStore::WithCase(const v1::Child& child) const {
  v1::Child c = child;
  auto current = cases_.find(c.current_case_id());
  if (current != cases_.end()) {
    c.set_case_status(current->second.status());
    c.set_risk_level(current->second.risk_level());
    c.set_organisation_id(current->second.organisation_id());
  }
  return c;
}

InMemoryRegistryStore::InMemoryRegistryStore(const Clock& clock, IdGenerator& ids)
    : clock_(clock), ids_(ids) {
  feed_ = std::make_unique<EventFeed>(
      [this](int64_t after, int limit) -> absl::StatusOr<std::vector<common::v1::Event>> {
        absl::MutexLock lock(&mu_);
        std::vector<common::v1::Event> out;
        for (const auto& e : events_) {
          if (e.sequence() > after && static_cast<int>(out.size()) < limit) out.push_back(e);
        }
        return out;
      },
      [this]() -> absl::StatusOr<int64_t> {
        absl::MutexLock lock(&mu_);
        return static_cast<int64_t>(events_.size());
      });
}

void InMemoryRegistryStore::Publish(const std::string& aggregate_id, const google::protobuf::Message& event,
                                    absl::Time at) {
  common::v1::Event& e = events_.emplace_back();
  e.set_sequence(static_cast<int64_t>(events_.size()));
  e.set_event_id(ids_.Next());
  e.set_type(event.GetDescriptor()->full_name());
  e.set_aggregate_id(aggregate_id);
  *e.mutable_occurred_at() = ToProtoTimestamp(at);
  e.mutable_payload()->PackFrom(event);
}

// ---- divisions

absl::StatusOr<std::optional<v1::Division>> InMemoryRegistryStore::GetDivision(const std::string& code) {
  absl::MutexLock lock(&mu_);
  auto found = divisions_.find(code);
  if (found == divisions_.end()) return std::optional<v1::Division>();
  return std::optional<v1::Division>(found->second);
}

absl::StatusOr<std::vector<v1::Division>> InMemoryRegistryStore::ListChildDivisions(
    const std::string& parent_code, const std::string& after_code, int limit) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Division> out;
  for (auto it = divisions_.upper_bound(after_code); it != divisions_.end(); ++it) {
    if (static_cast<int>(out.size()) == limit) break;
    if (it->second.parent_code() == parent_code) out.push_back(it->second);
  }
  return out;
}

// ---- referrals

absl::StatusOr<v1::SubmitReferralResponse> InMemoryRegistryStore::SubmitReferral(
    const IdempotencyKey& key, const Actor& actor, const ReferralRecord& submission,
    const ShowReferral& show) {
  absl::MutexLock lock(&mu_);
  return Idempotent<v1::SubmitReferralResponse>(key, [&]() -> absl::StatusOr<v1::SubmitReferralResponse> {
    ReferralRecord stored = submission;
    v1::Referral& r = stored.referral;
    // Matched as the MariaDB store matches (duplicates.h): the same resident id, else similar names of the
    // village's children born the same day, in id order.
    stored.linked.reset();
    stored.possible_duplicates.clear();
    std::vector<DuplicateCandidate> born;
    for (const auto& [id, child] : children_) {
      const v1::Child c = WithCase(child);
      if (!r.child().resident_id().empty() && child.resident_id() == r.child().resident_id()) {
        stored.linked = ChildMatch{id, c.household().village_code(), c.organisation_id()};
      }
      if (child.household().village_code() == r.household().village_code() &&
          child.birth_date() == r.child().birth_date()) {
        born.push_back({{id, c.household().village_code(), c.organisation_id()}, c.name()});
      }
    }
    if (!stored.linked) stored.possible_duplicates = PossibleDuplicates(r.child().name(), born);
    r.set_referral_id(ids_.Next());
    r.set_status(v1::REFERRAL_STATUS_PENDING);
    r.set_referring_organisation_id(actor.organisation_id);
    r.set_assigned_organisation_id(actor.organisation_id);
    *r.mutable_submitted_at() = ToProtoTimestamp(TruncateToMicros(actor.at));
    referrals_[r.referral_id()] = stored;
    v1::SubmitReferralResponse answer;
    *answer.mutable_referral() = show(stored);
    answer.mutable_referral()->mutable_child()->clear_resident_id();
    return answer;
  });
}

absl::StatusOr<std::optional<ReferralRecord>> InMemoryRegistryStore::GetReferral(
    const std::string& referral_id) {
  absl::MutexLock lock(&mu_);
  auto found = referrals_.find(referral_id);
  if (found == referrals_.end()) return std::optional<ReferralRecord>();
  return std::optional<ReferralRecord>(Resolved(found->second));
}

absl::StatusOr<std::vector<ReferralRecord>> InMemoryRegistryStore::ListReferrals(const ReferralFilter& f) {
  absl::MutexLock lock(&mu_);
  AwaitPageReadsReleased();
  std::vector<ReferralRecord> out;
  for (auto it = referrals_.upper_bound(f.after_id); it != referrals_.end(); ++it) {
    if (static_cast<int>(out.size()) == f.limit) break;
    const ReferralRecord r = Resolved(it->second);
    const v1::Referral& referral = r.referral;
    if (f.status != v1::REFERRAL_STATUS_UNSPECIFIED && referral.status() != f.status) continue;
    if (f.incoming) {
      if (!r.linked || !InPrefix(r.linked->village_code, f.division_prefix)) continue;
      if (!f.organisation_id.empty() && r.linked->organisation_id != f.organisation_id) continue;
    } else {
      if (!InPrefix(referral.household().village_code(), f.division_prefix)) continue;
      if (!f.organisation_id.empty() && referral.referring_organisation_id() != f.organisation_id &&
          referral.assigned_organisation_id() != f.organisation_id) {
        continue;
      }
    }
    out.push_back(r);
  }
  return out;
}

absl::StatusOr<v1::AcceptReferralResponse> InMemoryRegistryStore::AcceptReferral(
    const IdempotencyKey& key, const Actor& actor, const Acceptance& a,
    const Authorize<v1::Referral>& authorize, const CheckChild& check_child) {
  absl::MutexLock lock(&mu_);
  return Idempotent<v1::AcceptReferralResponse>(key, [&]() -> absl::StatusOr<v1::AcceptReferralResponse> {
    auto found = referrals_.find(a.referral_id);
    if (found == referrals_.end()) return absl::NotFoundError("referral not found");
    const ReferralRecord record = Resolved(found->second);
    RETURN_IF_ERROR(authorize(record.referral));
    const std::string case_id = ids_.Next();
    ASSIGN_OR_RETURN(ReferralChange decided, registry::AcceptReferral(record.referral, actor, case_id));
    ASSIGN_OR_RETURN(std::optional<std::string> onto, ChildToAcceptOnto(record, a.existing_child_id));
    v1::Child child;
    if (onto) {
      auto existing = children_.find(*onto);
      if (existing == children_.end())
        return absl::FailedPreconditionError("the linked child no longer exists");
      child = existing->second;
      const v1::Child now = WithCase(child);
      RETURN_IF_ERROR(check_child({child.child_id(), child.household().village_code(), now.organisation_id(),
                                   child.current_case_id(), now.case_status()}));
      // As the real store: the child lives where the referral says now.
      *child.mutable_household() = record.referral.household();
    } else {
      const v1::Referral& r = record.referral;
      child.set_child_id(ids_.Next());
      child.set_name(r.child().name());
      child.set_sex(r.child().sex());
      child.set_birth_date(r.child().birth_date());
      child.set_resident_id(r.child().resident_id());
      *child.mutable_household() = r.household();
      *child.mutable_guardians() = r.guardians();
      *child.mutable_categories() = r.categories();
      RETURN_IF_ERROR(check_child(
          {child.child_id(), child.household().village_code(), "", "", v1::CASE_STATUS_UNSPECIFIED}));
    }
    v1::Case c;
    c.set_case_id(case_id);
    c.set_child_id(child.child_id());
    c.set_referral_id(a.referral_id);
    c.set_organisation_id(a.organisation_id);
    c.set_caseworker_id(a.caseworker_id);
    c.set_status(v1::CASE_STATUS_VERIFYING);
    c.set_risk_level(a.risk_level);
    c.set_village_code(child.household().village_code());
    *c.mutable_opened_at() = ToProtoTimestamp(actor.at);
    v1::CaseHistoryEntry& entry = *c.add_history();
    *entry.mutable_at() = ToProtoTimestamp(actor.at);
    entry.set_actor(actor.subject);
    entry.set_action("accepted");
    entry.set_to_status(v1::CASE_STATUS_VERIFYING);
    entry.set_detail(absl::StrCat("from referral ", a.referral_id));
    child.set_current_case_id(case_id);
    children_[child.child_id()] = child;
    cases_[case_id] = c;
    found->second.referral = decided.updated;
    v1::CaseAccepted event;
    event.set_case_id(case_id);
    event.set_child_id(child.child_id());
    event.set_organisation_id(a.organisation_id);
    event.set_risk_level(a.risk_level);
    event.set_village_code(c.village_code());
    *event.mutable_at() = ToProtoTimestamp(actor.at);
    Publish(case_id, event, actor.at);
    v1::AcceptReferralResponse answer;
    *answer.mutable_case_() = c;
    return answer;
  });
}

absl::StatusOr<v1::RejectReferralResponse> InMemoryRegistryStore::RejectReferral(
    const IdempotencyKey& key, const Actor& actor, const std::string& referral_id, const std::string& reason,
    const Authorize<v1::Referral>& authorize, const ShowReferral& show) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      v1::RejectReferralResponse answer,
      Idempotent<v1::RejectReferralResponse>(key, [&]() -> absl::StatusOr<v1::RejectReferralResponse> {
        auto found = referrals_.find(referral_id);
        if (found == referrals_.end()) return absl::NotFoundError("referral not found");
        RETURN_IF_ERROR(authorize(found->second.referral));
        ASSIGN_OR_RETURN(ReferralChange change,
                         registry::RejectReferral(found->second.referral, actor, reason));
        found->second.referral = change.updated;
        v1::RejectReferralResponse out;
        *out.mutable_referral() = show(Resolved(found->second));
        out.mutable_referral()->mutable_child()->clear_resident_id();
        return out;
      }));
  answer.mutable_referral()->mutable_child()->set_resident_id(
      referrals_[referral_id].referral.child().resident_id());
  return answer;
}

absl::StatusOr<v1::TransferReferralResponse> InMemoryRegistryStore::TransferReferral(
    const IdempotencyKey& key, const Actor& actor, const std::string& referral_id,
    const std::string& to_organisation_id, const std::string& reason,
    const Authorize<v1::Referral>& authorize, const ShowReferral& show) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      v1::TransferReferralResponse answer,
      Idempotent<v1::TransferReferralResponse>(key, [&]() -> absl::StatusOr<v1::TransferReferralResponse> {
        auto found = referrals_.find(referral_id);
        if (found == referrals_.end()) return absl::NotFoundError("referral not found");
        RETURN_IF_ERROR(authorize(found->second.referral));
        ASSIGN_OR_RETURN(ReferralChange change, registry::TransferReferral(found->second.referral, actor,
                                                                           to_organisation_id, reason));
        found->second.referral = change.updated;
        v1::TransferReferralResponse out;
        *out.mutable_referral() = show(Resolved(found->second));
        out.mutable_referral()->mutable_child()->clear_resident_id();
        return out;
      }));
  answer.mutable_referral()->mutable_child()->set_resident_id(
      referrals_[referral_id].referral.child().resident_id());
  return answer;
}

// ---- cases

absl::StatusOr<std::optional<v1::Case>> InMemoryRegistryStore::GetCase(const std::string& case_id,
                                                                       bool with_history) {
  absl::MutexLock lock(&mu_);
  auto found = cases_.find(case_id);
  if (found == cases_.end()) return std::optional<v1::Case>();
  v1::Case c = found->second;
  if (!with_history) c.clear_history();
  return std::optional<v1::Case>(std::move(c));
}

absl::StatusOr<v1::Case> InMemoryRegistryStore::ChangeCase(const IdempotencyKey& key, const Actor& actor,
                                                           const std::string& case_id,
                                                           const Authorize<v1::Case>& authorize,
                                                           const CaseRule& rule) {
  absl::MutexLock lock(&mu_);
  return Idempotent<v1::Case>(key, [&]() -> absl::StatusOr<v1::Case> {
    auto found = cases_.find(case_id);
    if (found == cases_.end()) return absl::NotFoundError("case not found");
    v1::Case current = found->second;
    current.clear_history();
    RETURN_IF_ERROR(authorize(current));
    ASSIGN_OR_RETURN(CaseChange change, rule(current, actor));
    return Write(found->second, change, actor.at);
  });
}

v1::Case InMemoryRegistryStore::Write(v1::Case& stored, const CaseChange& change, absl::Time at) {
  v1::Case updated = change.updated;
  *updated.mutable_history() = stored.history();
  *updated.add_history() = change.entry;
  stored = updated;
  Publish(updated.case_id(), *change.event, at);
  return updated;
}

absl::StatusOr<v1::Case> InMemoryRegistryStore::MoveHousehold(const IdempotencyKey& key, const Actor& actor,
                                                              const std::string& case_id,
                                                              const v1::Household& to,
                                                              const std::string& reason,
                                                              const Authorize<v1::Case>& authorize) {
  absl::MutexLock lock(&mu_);
  return Idempotent<v1::Case>(key, [&]() -> absl::StatusOr<v1::Case> {
    auto found = cases_.find(case_id);
    if (found == cases_.end()) return absl::NotFoundError("case not found");
    v1::Case current = found->second;
    current.clear_history();
    RETURN_IF_ERROR(authorize(current));
    auto child = children_.find(current.child_id());
    if (child == children_.end()) return absl::InternalError("the case's child is missing");
    ASSIGN_OR_RETURN(CaseChange change,
                     registry::MoveHousehold(current, child->second.household(), to, actor, reason));
    *child->second.mutable_household() = to;
    return Write(found->second, change, actor.at);
  });
}

// ---- children

absl::StatusOr<std::optional<v1::Child>> InMemoryRegistryStore::GetChild(const std::string& child_id) {
  absl::MutexLock lock(&mu_);
  auto found = children_.find(child_id);
  if (found == children_.end()) return std::optional<v1::Child>();
  return std::optional<v1::Child>(WithCase(found->second));
}

absl::StatusOr<std::vector<v1::Child>> InMemoryRegistryStore::SearchChildren(const ChildFilter& f) {
  absl::MutexLock lock(&mu_);
  AwaitPageReadsReleased();
  std::vector<v1::Child> out;
  for (auto it = children_.upper_bound(f.after_id); it != children_.end(); ++it) {
    if (static_cast<int>(out.size()) == f.limit) break;
    const v1::Child c = WithCase(it->second);
    if (!InPrefix(c.household().village_code(), f.division_prefix)) continue;
    if (f.category != v1::CHILD_CATEGORY_UNSPECIFIED &&
        std::find(c.categories().begin(), c.categories().end(), f.category) == c.categories().end()) {
      continue;
    }
    if (f.risk_level != v1::RISK_LEVEL_UNSPECIFIED && c.risk_level() != f.risk_level) continue;
    if (f.case_status != v1::CASE_STATUS_UNSPECIFIED && c.case_status() != f.case_status) continue;
    if (!f.organisation_id.empty() && c.organisation_id() != f.organisation_id) continue;
    // A summary, as the MariaDB store answers a search.
    v1::Child summary = c;
    summary.clear_resident_id();
    summary.clear_guardians();
    summary.mutable_household()->clear_address_detail();
    summary.mutable_household()->clear_latitude();
    summary.mutable_household()->clear_longitude();
    out.push_back(std::move(summary));
  }
  return out;
}

absl::StatusOr<Statistics> InMemoryRegistryStore::GetStatistics(const std::string& prefix) {
  absl::MutexLock lock(&mu_);
  std::map<std::pair<std::string, int>, int64_t> by_county;
  std::map<int, int64_t> by_category;
  std::map<int, int64_t> by_risk;
  for (const auto& [id, child] : children_) {
    const v1::Child c = WithCase(child);
    if (!InPrefix(c.household().village_code(), prefix)) continue;
    ++by_county[{c.household().village_code().substr(0, 6), c.case_status()}];
    for (int category : c.categories()) ++by_category[category];
    ++by_risk[c.risk_level()];
  }
  Statistics stats;
  for (const auto& [county, count] : by_county) {
    stats.by_county.push_back({county.first, static_cast<v1::CaseStatus>(county.second), count});
  }
  for (const auto& [category, count] : by_category) {
    stats.by_category.emplace_back(static_cast<v1::ChildCategory>(category), count);
  }
  for (const auto& [risk, count] : by_risk) {
    stats.by_risk.emplace_back(static_cast<v1::RiskLevel>(risk), count);
  }
  return stats;
}

// ---- access log and events

absl::Status InMemoryRegistryStore::RecordAccess(std::vector<AccessRecord> records) {
  absl::MutexLock lock(&mu_);
  for (const AccessRecord& r : records) {
    AccessEntry entry;
    entry.entry.set_entry_id(ids_.Next());
    *entry.entry.mutable_at() = ToProtoTimestamp(TruncateToMicros(clock_.Now()));
    entry.entry.set_subject(r.subject);
    entry.entry.set_organisation_id(r.organisation_id);
    entry.entry.set_record_type(r.record_type);
    entry.entry.set_record_id(r.record_id);
    entry.entry.set_fields(r.fields);
    entry.entry.set_purpose(r.purpose);
    entry.entry.set_method(r.method);
    entry.village_code = r.village_code;
    access_log_[entry.entry.entry_id()] = std::move(entry);
  }
  return absl::OkStatus();
}

void InMemoryRegistryStore::ReadChildThen(std::string child_id, DecideChildRead decide,
                                          std::function<void(absl::Status)> committed) {
  {
    absl::MutexLock lock(&mu_);
    if (access_log_held_) {
      held_reads_.push_back([this, child_id = std::move(child_id), decide = std::move(decide),
                             committed = std::move(committed)]() mutable {
        RegistryStore::ReadChildThen(std::move(child_id), std::move(decide), std::move(committed));
      });
      return;
    }
  }
  RegistryStore::ReadChildThen(std::move(child_id), std::move(decide), std::move(committed));
}

void InMemoryRegistryStore::RecordAccessThen(std::vector<AccessRecord> records,
                                             std::function<void(absl::Status)> committed) {
  {
    absl::MutexLock lock(&mu_);
    if (access_log_held_) {
      held_reads_.push_back([this, records = std::move(records), committed = std::move(committed)]() mutable {
        committed(RecordAccess(std::move(records)));
      });
      return;
    }
  }
  committed(RecordAccess(std::move(records)));
}

void InMemoryRegistryStore::HoldAccessLog() {
  absl::MutexLock lock(&mu_);
  access_log_held_ = true;
}

size_t InMemoryRegistryStore::held_reads() const {
  absl::MutexLock lock(&mu_);
  return held_reads_.size();
}

void InMemoryRegistryStore::AwaitHeldReads(size_t n, absl::Duration bound) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_reads_.size() >= n; };
  mu_.AwaitWithTimeout(absl::Condition(&reached), bound);
}

void InMemoryRegistryStore::HoldPageReads() {
  absl::MutexLock lock(&mu_);
  page_reads_held_ = true;
}

void InMemoryRegistryStore::ReleasePageReads() {
  absl::MutexLock lock(&mu_);
  page_reads_held_ = false;
}

void InMemoryRegistryStore::AwaitHeldPageReads(size_t n, absl::Duration bound) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_page_reads_ >= n; };
  mu_.AwaitWithTimeout(absl::Condition(&reached), bound);
}

void InMemoryRegistryStore::AwaitPageReadsReleased() {
  if (!page_reads_held_) return;
  ++held_page_reads_;
  auto released = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !page_reads_held_; };
  mu_.Await(absl::Condition(&released));
  --held_page_reads_;
}

void InMemoryRegistryStore::ReleaseAccessLog() {
  std::vector<std::function<void()>> held;
  {
    absl::MutexLock lock(&mu_);
    access_log_held_ = false;
    held.swap(held_reads_);
  }
  for (auto& read : held) read();
}

absl::StatusOr<std::vector<v1::AccessLogEntry>> InMemoryRegistryStore::ListAccessLog(
    const AccessLogFilter& f) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::AccessLogEntry> out;
  for (auto it = access_log_.upper_bound(f.after_id); it != access_log_.end(); ++it) {
    if (static_cast<int>(out.size()) == f.limit) break;
    const AccessEntry& e = it->second;
    if (!InPrefix(e.village_code, f.division_prefix)) continue;
    if (!f.record_id.empty() && e.entry.record_id() != f.record_id) continue;
    if (!f.subject.empty() && e.entry.subject() != f.subject) continue;
    out.push_back(e.entry);
  }
  return out;
}

}  // namespace shouhu::registry::testing
