#include "services/registry/mandatory_report_flow.h"

#include "common/timestamps.h"

namespace shouhu::registry {

absl::Time FirstResponseDue(absl::Time filed_at, v1::ReportUrgency urgency,
                            const ReportDeadlines& deadlines) {
  return filed_at +
         (urgency == v1::REPORT_URGENCY_IMMEDIATE_DANGER ? deadlines.immediate_danger : deadlines.other);
}

bool IsOverdue(const v1::MandatoryReport& report, absl::Time now) {
  return report.status() == v1::MANDATORY_REPORT_STATUS_FILED &&
         FromProtoTimestamp(report.first_response_due_at()) < now;
}

absl::StatusOr<v1::MandatoryReport> AcknowledgeReport(const v1::MandatoryReport& current,
                                                      const Actor& actor) {
  if (current.status() != v1::MANDATORY_REPORT_STATUS_FILED) {
    return absl::FailedPreconditionError("the report has had its first response already");
  }
  v1::MandatoryReport next = current;
  next.set_status(v1::MANDATORY_REPORT_STATUS_ACKNOWLEDGED);
  *next.mutable_first_response_at() = ToProtoTimestamp(actor.at);
  return next;
}

absl::StatusOr<v1::MandatoryReport> ResolveReport(const v1::MandatoryReport& current, const Actor& actor,
                                                  const Resolution& resolution) {
  if (current.status() == v1::MANDATORY_REPORT_STATUS_FILED) {
    return absl::FailedPreconditionError("acknowledge the report before resolving it");
  }
  if (current.status() != v1::MANDATORY_REPORT_STATUS_ACKNOWLEDGED) {
    return absl::FailedPreconditionError("the report is resolved already");
  }
  v1::MandatoryReport next = current;
  next.set_status(resolution.close ? v1::MANDATORY_REPORT_STATUS_CLOSED : v1::MANDATORY_REPORT_STATUS_LINKED);
  next.set_linked_referral_id(resolution.linked_referral_id);
  next.set_linked_case_id(resolution.linked_case_id);
  next.set_feedback(resolution.feedback);
  *next.mutable_resolved_at() = ToProtoTimestamp(actor.at);
  return next;
}

}  // namespace shouhu::registry
