// Who sees which training records: the row-level half of authorization (the method-level half is each rpc's
// allowed_roles option, applied by common/edge.h). Pure, and built on the one scope rule of common/scope.h:
// a participant lies where they live and belongs to their organisation; a session is open to every
// organisation in the jurisdiction where it is held (government-run training is for all partners); an
// enrollment is visible to whoever sees its session and its participant, and to the jurisdiction-wide roles
// that run the session. Outside scope a record does not exist: NOT_FOUND. Beside scope, the two changes a
// method's roles are too coarse for, PERMISSION_DENIED: making a course required, replacing a failed check.
#ifndef SHOUHU_SERVICES_TRAINING_TRAINING_ACCESS_H_
#define SHOUHU_SERVICES_TRAINING_TRAINING_ACCESS_H_

#include "absl/status/status.h"
#include "common/principal.h"
#include "common/scope.h"
#include "services/training/qualification.h"
#include "services/training/suspension_rules.h"
#include "shouhu/training/v1/training.pb.h"

namespace shouhu::training {

// Views into the record: it must outlive the scope.
RecordScope ScopeOf(const v1::Participant& participant);
RecordScope ScopeOf(const ParticipantStanding& participant);

bool CanSeeParticipant(const Principal& principal, const v1::Participant& participant);
bool CanSeeSession(const Principal& principal, const v1::Session& session);
bool CanSeeEnrollment(const Principal& principal, const v1::Session& session,
                      const v1::Participant& participant);
// A certification is as visible as its holder.
bool CanSeeCertification(const Principal& principal, const v1::Participant& holder);
// An organisation's qualification record, seen where it was assessed.
bool CanSeeOrganisationRecord(const Principal& principal, const v1::OrganisationQualification& record);

// NOT_FOUND ("participant not found", …) unless the caller sees the record.
absl::Status RequireParticipant(const Principal& principal, const v1::Participant& participant);
absl::Status RequireSession(const Principal& principal, const v1::Session& session);
absl::Status RequireEnrollment(const Principal& principal, const v1::Session& session,
                               const v1::Participant& participant);
absl::Status RequireCertification(const Principal& principal, const v1::Participant& holder);

// A course's required_for makes it a condition of those activities for every person in every organisation
// from the moment it exists (who is qualified to visit a child's home): a policy decision, the civil-affairs
// bureau's. PERMISSION_DENIED naming course.required_for when anyone else (a trainer, an NGO admin) sets it.
absl::Status RequireMayRequireCourse(const Principal& principal, const v1::Course& course);

// A FAILED background check keeps the person from every child-facing activity, and their own organisation
// is the party that would want it gone: only the civil-affairs bureau (or a service) replaces it with another
// status. Recording it FAILED again (a new date) lifts nothing and stays open to the organisation.
// PERMISSION_DENIED otherwise, not FAILED_PRECONDITION: the same request from the county succeeds, so it is
// the caller, not the record, that would have to change. `current` is the participant's locked row (the
// store calls this there), so a FAILED check recorded meanwhile cannot slip past it.
absl::Status RequireMayReplaceCheck(const Principal& principal, const v1::Participant& current,
                                    const v1::BackgroundCheck& check);

// A new record placed at `scope` (a participant's home, a session's venue, an organisation's division):
// NOT_FOUND on the division outside the caller's jurisdiction, or on another organisation for callers bound
// to their own — the same answers a list filter gets (ScopedDivisionPrefix, ScopedOrganisation).
absl::Status RequireMayPlace(const Principal& principal, const RecordScope& scope);

// Who places or lifts a suspension's hold (suspension_rules.h): a service (SYSTEM), else a person bound to
// their organisation or not (the county).
SuspensionAuthority SuspensionAuthorityOf(const Principal& principal);

}  // namespace shouhu::training

#endif  // SHOUHU_SERVICES_TRAINING_TRAINING_ACCESS_H_
