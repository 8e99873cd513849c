// Triage of a referral as pure rules over the facts the store reads under lock (the shape of
// case_lifecycle.h): what may be accepted, rejected or transferred and why, and what the referral becomes.
// Every refusal is FAILED_PRECONDITION (or INVALID_ARGUMENT naming the field) and names nothing the
// triager's own scope does not hold.
#ifndef SHOUHU_SERVICES_REGISTRY_TRIAGE_H_
#define SHOUHU_SERVICES_REGISTRY_TRIAGE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/idempotency.h"
#include "common/principal.h"
#include "services/registry/referral_record.h"
#include "shouhu/registry/v1/resources.pb.h"

namespace shouhu::registry {

// The referral as it will be, and the line its history gets.
struct ReferralChange {
  v1::Referral updated;
  std::string action;  // "accepted", "rejected", "transferred"
  std::string detail;
};

absl::StatusOr<ReferralChange> RejectReferral(const v1::Referral& current, const Actor& actor,
                                              const std::string& reason);
absl::StatusOr<ReferralChange> TransferReferral(const v1::Referral& current, const Actor& actor,
                                                const std::string& to_organisation,
                                                const std::string& reason);
// Decides the referral as accepted into `case_id`; the child's own checks are CheckAcceptOnto's.
absl::StatusOr<ReferralChange> AcceptReferral(const v1::Referral& current, const Actor& actor,
                                              const std::string& case_id);

// The registered child an accepted referral is about: the triager's choice (`existing_child_id`), which must
// be one of the referral's matches; else the child registered under the same resident id; else none, and a
// new child is registered.
absl::StatusOr<std::optional<std::string>> ChildToAcceptOnto(const ReferralRecord& referral,
                                                             const std::string& existing_child_id);

// A registered child as the store finds it, locked.
struct RegisteredChild {
  std::string child_id;
  std::string village_code;
  std::string organisation_id;  // of the current case
  std::string current_case_id;  // empty: none
  v1::CaseStatus current_case_status = v1::CASE_STATUS_UNSPECIFIED;
};

// Whether the triager may open a case for the child. A child registered outside the triager's jurisdiction
// is refused without naming anything of theirs (the jurisdiction that holds the child sees the referral among
// its incoming duplicates and may transfer their case); an open case is named only when the triager's scope
// holds it.
absl::Status CheckAcceptOnto(const Principal& triager, const RegisteredChild& child);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_TRIAGE_H_
