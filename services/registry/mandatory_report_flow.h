// Mandatory reports (强制报告), as pure rules: the first-response deadline from the urgency, whether a report
// is overdue, and the handling as a state machine — FILED → ACKNOWLEDGED (the first response) → LINKED (to a
// referral or case) or CLOSED (with an outcome). Out of order → FAILED_PRECONDITION.
#ifndef SHOUHU_SERVICES_REGISTRY_MANDATORY_REPORT_FLOW_H_
#define SHOUHU_SERVICES_REGISTRY_MANDATORY_REPORT_FLOW_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/idempotency.h"
#include "shouhu/registry/v1/cooperation_service.pb.h"

namespace shouhu::registry {

// How long the county has for a first response, by urgency (registry_config.h).
struct ReportDeadlines {
  absl::Duration immediate_danger = absl::Hours(2);
  absl::Duration other = absl::Hours(24);
};

absl::Time FirstResponseDue(absl::Time filed_at, v1::ReportUrgency urgency, const ReportDeadlines& deadlines);

// Still without a first response and past its deadline at `now`.
bool IsOverdue(const v1::MandatoryReport& report, absl::Time now);

absl::StatusOr<v1::MandatoryReport> AcknowledgeReport(const v1::MandatoryReport& current, const Actor& actor);

// What a resolution links to; exactly one of the three (the edge checks that).
struct Resolution {
  std::string linked_referral_id;
  std::string linked_case_id;
  bool close = false;
  std::string feedback;
};

absl::StatusOr<v1::MandatoryReport> ResolveReport(const v1::MandatoryReport& current, const Actor& actor,
                                                  const Resolution& resolution);

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_MANDATORY_REPORT_FLOW_H_
