#include "services/allowance/allowance_access.h"

#include "common/scope.h"

namespace shouhu::allowance {

bool ProgramVisible(const Principal& p, const v1::Program& program) {
  return InScope(p, {program.jurisdiction(), program.operator_organisation_id()}) ||
         InScope(p, {program.jurisdiction(), program.funder_organisation_id()});
}

bool ApplicationVisible(const Principal& p, const v1::Application& application, const v1::Program& program) {
  if (InScope(p, {application.division_code(), application.organisation_id()})) return true;
  return InJurisdiction(p, application.division_code()) && ProgramVisible(p, program);
}

bool PaymentVisible(const Principal& p, const v1::Payment& payment, const v1::Program& program) {
  return InJurisdiction(p, payment.division_code()) && ProgramVisible(p, program);
}

absl::Status RequireProgramVisible(const Principal& p, const v1::Program& program) {
  return ProgramVisible(p, program) ? absl::OkStatus() : absl::NotFoundError("program not found");
}

absl::Status RequireApplicationVisible(const Principal& p, const v1::Application& application,
                                       const v1::Program& program) {
  return ApplicationVisible(p, application, program) ? absl::OkStatus()
                                                     : absl::NotFoundError("application not found");
}

absl::Status RequirePaymentVisible(const Principal& p, const v1::Payment& payment,
                                   const v1::Program& program) {
  return PaymentVisible(p, payment, program) ? absl::OkStatus() : absl::NotFoundError("payment not found");
}

}  // namespace shouhu::allowance
