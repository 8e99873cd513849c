// Casework's persistence (CaseworkService): instruments, assessments, case plans, closure requests, their
// supervision, assessment schedules, visit follow-ups and the task list's sources. SQL lives here. Every
// mutation runs in one IdempotentTransaction; the case is locked and the caller's scope checked on it inside
// that transaction; a change to the case itself (risk level, closure) is the registry's lifecycle rule
// written by the registry store in the same transaction, with its history and event in the one outbox.
// Lock order: a review or plan item row, then its case row.
#ifndef SHOUHU_SERVICES_REGISTRY_CASEWORK_STORE_H_
#define SHOUHU_SERVICES_REGISTRY_CASEWORK_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "services/registry/assessment_schedule.h"
#include "services/registry/registry_store.h"
#include "services/registry/supervision.h"
#include "services/registry/task_list.h"
#include "shouhu/common/v1/events.pb.h"
#include "shouhu/registry/v1/casework_resources.pb.h"

namespace shouhu::registry {

struct CaseworkRules {
  AssessmentSchedule schedule;
  SelfApprovalPolicy self_approval;
  // How long a submitted item may wait for each review before it shows as overdue in the task list.
  absl::Duration review_within = absl::Hours(24 * 7);
};

// A record with the case it belongs to, whose scope is the record's.
template <typename Record>
struct OfCase {
  Record record;
  v1::Case owner;
};

struct OverdueFilter {
  std::string division_prefix;
  std::string organisation_id;  // empty: any
  absl::Time due_before;        // due at or before
  std::string after_case_id;
  int limit = 50;
};

class CaseworkStore {
 public:
  CaseworkStore(db::Pool& pool, IdGenerator& ids, MariaDbRegistryStore& cases, CaseworkRules rules);
  ~CaseworkStore();

  // `instrument` validated; the store assigns id, version (the code's last + 1), publisher and time.
  absl::StatusOr<v1::Instrument> PublishInstrument(const IdempotencyKey& key, const Actor& actor,
                                                   const v1::Instrument& instrument);
  absl::StatusOr<std::optional<v1::Instrument>> GetInstrument(const std::string& instrument_id);

  // Scores the answers against the instrument version (INVALID_ARGUMENT naming the answer, nothing
  // written) on the locked, open case.
  absl::StatusOr<v1::Assessment> CreateAssessment(
      const IdempotencyKey& key, const Actor& actor, const std::string& case_id,
      const std::string& instrument_id, const google::protobuf::RepeatedPtrField<v1::Answer>& answers,
      const std::string& note, const Authorize<v1::Case>& authorize);
  absl::StatusOr<std::optional<OfCase<v1::Assessment>>> GetAssessment(const std::string& assessment_id);

  // `plan` holds validated goals and items (description, owner, due date).
  absl::StatusOr<v1::CasePlan> CreateCasePlan(const IdempotencyKey& key, const Actor& actor,
                                              const std::string& case_id, const v1::CasePlan& plan,
                                              const Authorize<v1::Case>& authorize);
  absl::StatusOr<std::optional<OfCase<v1::CasePlan>>> GetCasePlan(const std::string& plan_id);
  absl::StatusOr<std::optional<OfCase<v1::CasePlan>>> GetCurrentPlan(const std::string& case_id);
  // Only items of the case's current plan move (FAILED_PRECONDITION otherwise).
  absl::StatusOr<v1::PlanItem> UpdatePlanItemStatus(const IdempotencyKey& key, const Actor& actor,
                                                    const std::string& item_id, v1::PlanItemStatus status,
                                                    const Authorize<v1::Case>& authorize);

  absl::StatusOr<v1::ClosureRequest> RequestClosure(const IdempotencyKey& key, const Actor& actor,
                                                    const std::string& case_id, const std::string& reason,
                                                    const Authorize<v1::Case>& authorize);

  // One supervision step on the locked review (supervision.h), with its effect: an emergency assessment's
  // submission raises the case to EXTREME; a county confirmation applies the item (risk level and next due
  // date, current plan, closure). NOT_FOUND for an unknown item or one `authorize` refuses.
  absl::StatusOr<v1::Review> TakeReviewStep(const IdempotencyKey& key, const Actor& actor,
                                            const std::string& item_id, ReviewStep step,
                                            const std::string& detail, const Authorize<v1::Case>& authorize);

  // Open cases whose next assessment is due at or before filter.due_before, by case id.
  absl::StatusOr<std::vector<v1::DueAssessment>> ListOverdueAssessments(const OverdueFilter& filter);

  // Every source's page merged (task_list.h).
  absl::StatusOr<std::vector<v1::Task>> ListTasks(const TaskQuery& query);
  // Marks a visit follow-up done (FAILED_PRECONDITION when it is already).
  absl::StatusOr<v1::Task> CompleteFollowUp(const IdempotencyKey& key, const Actor& actor,
                                            const std::string& follow_up_id, const std::string& note,
                                            const Authorize<v1::Case>& authorize);

  // The visits follower's apply (an EventConsumer's ApplyEvent): records the follow-up the event asks for,
  // once per record.
  absl::Status ApplyVisitEvent(db::Session& tx, const common::v1::Event& event);

 private:
  absl::StatusOr<std::optional<v1::Review>> ReadReview(db::Session& s, const std::string& item_id,
                                                       bool for_update, bool with_history);
  absl::Status InsertReview(db::Session& tx, const v1::Review& review);
  absl::StatusOr<std::optional<v1::Instrument>> ReadInstrument(db::Session& s, const std::string& id);
  absl::StatusOr<std::optional<v1::Assessment>> ReadAssessment(db::Session& s, const std::string& id);
  absl::StatusOr<std::optional<v1::CasePlan>> ReadPlan(db::Session& s, const std::string& id);
  absl::StatusOr<std::optional<v1::ClosureRequest>> ReadClosure(db::Session& s, const std::string& id);
  // The locked case `authorize` admits (NOT_FOUND otherwise).
  absl::StatusOr<v1::Case> LockAuthorizedCase(db::Session& tx, const std::string& case_id,
                                              const Authorize<v1::Case>& authorize);
  // What a step does beyond the review row.
  absl::Status ApplyStepEffect(db::Session& tx, const Actor& actor, const v1::Review& review, ReviewStep step,
                               const v1::Case& owner);
  absl::Status ChangeRisk(db::Session& tx, const Actor& actor, const v1::Case& owner, v1::RiskLevel risk,
                          const std::string& reason);
  template <typename Record, typename Read>
  absl::StatusOr<std::optional<OfCase<Record>>> ReadOfCase(Read read);

  db::Pool& pool_;
  IdGenerator& ids_;
  MariaDbRegistryStore& cases_;
  const CaseworkRules rules_;
  std::vector<std::unique_ptr<TaskSource>> task_sources_;
};

}  // namespace shouhu::registry

#endif  // SHOUHU_SERVICES_REGISTRY_CASEWORK_STORE_H_
