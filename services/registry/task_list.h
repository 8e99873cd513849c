// The one task list (what is overdue and due soon) for a caseworker, a supervisor and a county, built from
// sources that each answer the same query for their own records: assessments due, plan items due, reviews
// pending or returned, visit follow-ups. The list is the merge of the sources' pages in (due_at, task_id)
// order, paged by a token holding the last task's position, so a source is one more implementation of
// TaskSource added to the list (a service referral's due date would be `TaskSource` number five: its SQL
// answering TaskQuery, and a TaskKind), with nothing else reshaped. Pure: the sources' SQL is the store's.
#ifndef SHOUHU_SERVICES_REGISTRY_TASK_LIST_H_
#define SHOUHU_SERVICES_REGISTRY_TASK_LIST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "shouhu/registry/v1/casework_resources.pb.h"

namespace shouhu {
namespace db {
class Session;
}  // namespace db

namespace registry {

// What the caller asks for, after the edge scoped it.
struct TaskQuery {
  v1::TaskAudience audience = v1::TASK_AUDIENCE_UNSPECIFIED;
  std::string subject;          // the caller
  std::string organisation_id;  // empty: any organisation (the caller is not organisation-bound)
  std::string division_prefix;
  // Which review queue a SUPERVISOR audience is shown: submitted items for a township supervisor,
  // township-checked ones for a county officer.
  v1::ReviewState awaiting = v1::REVIEW_STATE_UNSPECIFIED;
  absl::Time now;
  absl::Time horizon_end;  // due at or before this
  // The page: tasks after this position in (due_at, task_id) order.
  absl::Time after_due = absl::InfinitePast();
  std::string after_task_id;
  int limit = 50;
};

// One kind of record that makes tasks. `Due` answers at most query.limit tasks after the page position, in
// (due_at, task_id) order; task ids are TaskId(kind, record id).
class TaskSource {
 public:
  virtual ~TaskSource() = default;
  virtual absl::StatusOr<std::vector<v1::Task>> Due(db::Session& session, const TaskQuery& query) const = 0;
};

// "<prefix>:<record id>", the prefix fixed per kind ("assessment-due", "plan-item", …).
std::string TaskId(v1::TaskKind kind, const std::string& record_id);
// The kind and record of a task id; INVALID_ARGUMENT naming `field` when it is no task id.
absl::StatusOr<std::pair<v1::TaskKind, std::string>> ParseTaskId(absl::string_view task_id,
                                                                 absl::string_view field);

// For a source of `kind`, the least record id a task due exactly at query.after_due must exceed to lie after
// the page position: every id ("") when the kind's tasks sort after the position's, none ("\x7f") when
// before.
std::string RecordIdAfter(const TaskQuery& query, v1::TaskKind kind);

// The sources' pages merged: the first `limit` in (due_at, task_id) order, each marked overdue when due
// before `now`.
std::vector<v1::Task> MergeTaskPages(std::vector<std::vector<v1::Task>> pages, int limit, absl::Time now);

// The instant a task due on `day` becomes overdue: the end of that day in Asia/Shanghai.
absl::Time DueAtEndOf(absl::CivilDay day);
// The last day whose task is due at or before `t` (DueAtEndOf(day) <= t): how a source that keeps due dates
// as days answers the time bounds of a TaskQuery.
absl::CivilDay LastDayDueBy(absl::Time t);

// The token after `last` and back; INVALID_ARGUMENT on page_token when it is no token of ours.
std::string TaskPageToken(const v1::Task& last);
absl::Status ReadTaskPageToken(absl::string_view token, TaskQuery& query);

}  // namespace registry
}  // namespace shouhu

#endif  // SHOUHU_SERVICES_REGISTRY_TASK_LIST_H_
