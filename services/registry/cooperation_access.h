// Who sees and acts on the cooperation records, mapped onto common/scope.h's one rule. A service referral
// has two sides: the sender (the case's scope) and the receiver (the receiving organisation's principals); a
// county transfer has the sending side (the case's scope before the move) and the receiving county. Outside
// both, a record is NOT_FOUND.
#ifndef SHOUHU_SERVICES_REGISTRY_COOPERATION_ACCESS_H_
#define SHOUHU_SERVICES_REGISTRY_COOPERATION_ACCESS_H_

#include "absl/status/status.h"
#include "common/principal.h"
#include "shouhu/registry/v1/cooperation_service.pb.h"

namespace shouhu::registry {

bool IsSender(const Principal& p, const v1::ServiceReferral& r);
// A principal of the receiving organisation (wherever its jurisdiction lies: a city hospital receives
// children from rural counties).
bool IsReceiver(const Principal& p, const v1::ServiceReferral& r);
// Whether the receiver is shown the child with the referral: while it is open (sent, or accepted and not yet
// completed). Once rejected or completed the receiver has no service left to give, and reading the child's
// name, birth date and village again under a consent that still runs would be sharing for no purpose.
bool ReceiverSeesChild(v1::ServiceReferralStatus status);
// NOT_FOUND unless the caller is the receiver; the receiver's steps are the receiver's alone.
absl::Status RequireReceiver(const Principal& p, const v1::ServiceReferral& r);

bool IsSendingSide(const Principal& p, const v1::CountyTransfer& t);
bool IsReceivingSide(const Principal& p, const v1::CountyTransfer& t);
// Accept and reject: the receiving side; cancel: the sending side. NOT_FOUND for callers who see neither
// side, PERMISSION_DENIED for the other side (it sees the request, it may not take this step).
absl::Status RequireReceivingSide(const Principal& p, const v1::CountyTransfer& t);
absl::Status RequireSendingSide(const Principal& p, const v1::CountyTransfer& t);

// A mandatory report lies in its village; only whole-jurisdiction roles read reports (proto roles).
absl::Status RequireReportInScope(const Principal& p, const v1::MandatoryReport& r);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_COOPERATION_ACCESS_H_
