#include "services/registry/supervision.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/timestamps.h"

namespace shouhu::registry {
namespace {

bool MayTake(ReviewStep step, v1::ReviewState state) {
  switch (step) {
    case ReviewStep::kSubmit:
      return state == v1::REVIEW_STATE_DRAFT || state == v1::REVIEW_STATE_RETURNED;
    case ReviewStep::kTownshipCheck:
      return state == v1::REVIEW_STATE_SUBMITTED;
    case ReviewStep::kCountyConfirm:
      return state == v1::REVIEW_STATE_TOWNSHIP_CHECKED;
    case ReviewStep::kReturn:
      return state == v1::REVIEW_STATE_SUBMITTED || state == v1::REVIEW_STATE_TOWNSHIP_CHECKED;
  }
  return false;
}

const char* StepName(ReviewStep step) {
  switch (step) {
    case ReviewStep::kSubmit:
      return "submitted";
    case ReviewStep::kTownshipCheck:
      return "township-checked";
    case ReviewStep::kCountyConfirm:
      return "county-confirmed";
    case ReviewStep::kReturn:
      return "returned";
  }
  return "";
}

}  // namespace

std::string ReviewStateName(v1::ReviewState state) {
  const std::string& full = v1::ReviewState_Name(state);
  absl::string_view name = full;
  absl::ConsumePrefix(&name, "REVIEW_STATE_");
  return std::string(name);
}

v1::Review DraftReview(const std::string& item_id, v1::ReviewKind kind, const std::string& case_id,
                       const Actor& actor) {
  v1::Review review;
  review.set_item_id(item_id);
  review.set_kind(kind);
  review.set_case_id(case_id);
  review.set_state(v1::REVIEW_STATE_DRAFT);
  review.set_author(actor.subject);
  *review.mutable_updated_at() = ToProtoTimestamp(actor.at);
  return review;
}

absl::StatusOr<ReviewChange> ApplyReviewStep(const v1::Review& current, ReviewStep step, const Actor& actor,
                                             const std::string& detail, const SelfApprovalPolicy& policy) {
  if (!MayTake(step, current.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat("an item that is ", ReviewStateName(current.state()), " cannot be ", StepName(step)));
  }
  const bool reviewing = step != ReviewStep::kSubmit;
  if (reviewing && actor.subject == current.submitted_by() && !policy.Allows(current.kind())) {
    return absl::FailedPreconditionError("the submitter of an item cannot review it");
  }
  if (step == ReviewStep::kCountyConfirm && actor.subject == current.township_checked_by() &&
      !policy.Allows(current.kind())) {
    return absl::FailedPreconditionError(
        "the township's check and the county's confirmation need two people");
  }
  ReviewChange change;
  change.updated = current;
  change.updated.clear_history();
  v1::Review& r = change.updated;
  switch (step) {
    case ReviewStep::kSubmit:
      r.set_state(v1::REVIEW_STATE_SUBMITTED);
      r.set_submitted_by(actor.subject);
      // A resubmission starts its reviews over.
      r.clear_township_checked_by();
      r.clear_returned_by();
      r.clear_return_reason();
      break;
    case ReviewStep::kTownshipCheck:
      r.set_state(v1::REVIEW_STATE_TOWNSHIP_CHECKED);
      r.set_township_checked_by(actor.subject);
      break;
    case ReviewStep::kCountyConfirm:
      r.set_state(v1::REVIEW_STATE_COUNTY_CONFIRMED);
      r.set_county_confirmed_by(actor.subject);
      break;
    case ReviewStep::kReturn:
      r.set_state(v1::REVIEW_STATE_RETURNED);
      r.set_returned_by(actor.subject);
      r.set_return_reason(detail);
      break;
  }
  *r.mutable_updated_at() = ToProtoTimestamp(actor.at);
  change.step.set_actor(actor.subject);
  *change.step.mutable_at() = ToProtoTimestamp(actor.at);
  change.step.set_from_state(current.state());
  change.step.set_to_state(r.state());
  change.step.set_detail(detail);
  return change;
}

absl::StatusOr<SelfApprovalPolicy> ParseSelfApprovalPolicy(absl::string_view text,
                                                           absl::string_view setting) {
  SelfApprovalPolicy policy;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    v1::ReviewKind kind;
    const std::string name = absl::StrCat("REVIEW_KIND_", absl::StripAsciiWhitespace(part));
    if (!v1::ReviewKind_Parse(name, &kind) || kind == v1::REVIEW_KIND_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat(setting, ": unknown kind (allowed: ASSESSMENT, CASE_PLAN, CLOSURE)"));
    }
    policy.kinds.insert(kind);
  }
  return policy;
}

bool AssessmentTakesEffect(absl::string_view assessment_id, absl::string_view last_confirmed_id) {
  return last_confirmed_id.empty() || assessment_id > last_confirmed_id;
}

bool PlanTakesEffect(int64_t version, std::optional<int64_t> version_in_force) {
  return !version_in_force || version > *version_in_force;
}

}  // namespace shouhu::registry
