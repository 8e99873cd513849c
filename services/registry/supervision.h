// Supervision of casework as a pure state machine (乡镇审核、县级确认): an assessment, a case plan or a
// closure request is written as a draft, submitted by a caseworker, checked by the township supervisor and
// confirmed by the county civil-affairs officer; either reviewer may return it with a reason, and a returned
// item may be submitted again. Each step is allowed from exactly one set of states, so approvals cannot run
// out of order (FAILED_PRECONDITION); a reviewer is never the item's submitter unless the policy allows
// self-approval for its kind. Who may take a step at all is the RPC's role (proto option) and the case's
// scope (the store).
#ifndef SHOUHU_SERVICES_REGISTRY_SUPERVISION_H_
#define SHOUHU_SERVICES_REGISTRY_SUPERVISION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/idempotency.h"
#include "shouhu/registry/v1/casework_resources.pb.h"

namespace shouhu::registry {

enum class ReviewStep { kSubmit, kTownshipCheck, kCountyConfirm, kReturn };

// The kinds whose reviewer may be their submitter (SHOUHU_CASEWORK_SELF_APPROVAL); default none.
struct SelfApprovalPolicy {
  absl::flat_hash_set<int> kinds;  // v1::ReviewKind numbers
  bool Allows(v1::ReviewKind kind) const { return kinds.contains(kind); }
};

struct ReviewChange {
  v1::Review updated;  // without history
  v1::ReviewStep step;
};

// A new draft written by `actor`.
v1::Review DraftReview(const std::string& item_id, v1::ReviewKind kind, const std::string& case_id,
                       const Actor& actor);

// The review after `step` by `actor`, or FAILED_PRECONDITION naming what the item's state allows (a step out
// of order, a reviewer who submitted it, the county's confirmation by the person who made the township's
// check: one person holding both roles would be both pairs of eyes; both unless the policy allows
// self-approval for the kind). `detail`: the return's reason or a reviewer's note.
absl::StatusOr<ReviewChange> ApplyReviewStep(const v1::Review& current, ReviewStep step, const Actor& actor,
                                             const std::string& detail, const SelfApprovalPolicy& policy);

// Whether a confirmed assessment or plan takes effect on its case: an assessment made after the one confirmed
// last (ids count up as items are made; `last_confirmed_id` empty when none was), a plan of a later version
// than the one in force (none in force: nullopt). One made before them and confirmed late (an officer
// clearing a backlog) is recorded as confirmed and stays history: taking effect, it would undo a later
// finding (the case's risk falling back from EXTREME to MEDIUM and its visits from weekly to monthly, a plan
// replaced by its previous version).
bool AssessmentTakesEffect(absl::string_view assessment_id, absl::string_view last_confirmed_id);
bool PlanTakesEffect(int64_t version, std::optional<int64_t> version_in_force);

// "SUBMITTED" etc., for messages and history.
std::string ReviewStateName(v1::ReviewState state);

// Parses "ASSESSMENT,CASE_PLAN,CLOSURE" (any of them, comma-separated; empty: none) into the policy;
// INVALID_ARGUMENT naming `setting` on an unknown kind.
absl::StatusOr<SelfApprovalPolicy> ParseSelfApprovalPolicy(absl::string_view text, absl::string_view setting);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_SUPERVISION_H_
