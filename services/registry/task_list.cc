#include "services/registry/task_list.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "common/validation.h"

namespace shouhu::registry {
namespace {

// No prefix is a prefix of another, so ordering by task id is ordering by (prefix, record id).
const char* Prefix(v1::TaskKind kind) {
  switch (kind) {
    case v1::TASK_KIND_ASSESSMENT_DUE:
      return "assessment-due";
    case v1::TASK_KIND_PLAN_ITEM_DUE:
      return "plan-item-due";
    case v1::TASK_KIND_REVIEW_PENDING:
      return "review-pending";
    case v1::TASK_KIND_REVIEW_RETURNED:
      return "review-returned";
    case v1::TASK_KIND_VISIT_DANGER_SIGNS:
      return "visit-danger-signs";
    case v1::TASK_KIND_VISIT_CHECK_OUT_MISSING:
      return "visit-check-out-missing";
    case v1::TASK_KIND_SERVICE_REFERRAL_DUE:
      return "service-referral-due";
    default:
      return "unknown";
  }
}

bool Before(const v1::Task& a, const v1::Task& b) {
  const absl::Time due_a = FromProtoTimestamp(a.due_at()), due_b = FromProtoTimestamp(b.due_at());
  return due_a != due_b ? due_a < due_b : a.task_id() < b.task_id();
}

}  // namespace

std::string TaskId(v1::TaskKind kind, const std::string& record_id) {
  return absl::StrCat(Prefix(kind), ":", record_id);
}

absl::StatusOr<std::pair<v1::TaskKind, std::string>> ParseTaskId(absl::string_view task_id,
                                                                 absl::string_view field) {
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(task_id, absl::MaxSplits(':', 1));
  for (int k = v1::TaskKind_MIN + 1; k <= v1::TaskKind_MAX; ++k) {
    const auto kind = static_cast<v1::TaskKind>(k);
    if (parts.first == Prefix(kind) && ValidateRecordId(parts.second, field).ok()) {
      return std::make_pair(kind, std::string(parts.second));
    }
  }
  return InvalidField(field, "is not a task id");
}

std::string RecordIdAfter(const TaskQuery& query, v1::TaskKind kind) {
  if (query.after_task_id.empty()) return "";
  const std::string mine = absl::StrCat(Prefix(kind), ":");
  const std::string& after = query.after_task_id;
  const std::string theirs = after.substr(0, after.find(':') + 1);
  if (mine < theirs) return "\x7f";
  if (mine > theirs) return "";
  return after.substr(theirs.size());
}

std::vector<v1::Task> MergeTaskPages(std::vector<std::vector<v1::Task>> pages, int limit, absl::Time now) {
  std::vector<v1::Task> all;
  for (auto& page : pages) {
    for (auto& task : page) all.push_back(std::move(task));
  }
  std::sort(all.begin(), all.end(), Before);
  if (static_cast<int>(all.size()) > limit) all.resize(limit);
  for (auto& task : all) task.set_overdue(FromProtoTimestamp(task.due_at()) < now);
  return all;
}

absl::Time DueAtEndOf(absl::CivilDay day) { return absl::FromCivil(day + 1, ShanghaiTimeZone()); }

absl::CivilDay LastDayDueBy(absl::Time t) {
  if (t == absl::InfinitePast()) return absl::CivilDay(1000, 1, 1);
  if (t == absl::InfiniteFuture()) return absl::CivilDay(9999, 12, 31);
  absl::CivilDay day = ShanghaiDay(t);
  while (DueAtEndOf(day) > t) --day;
  return day;
}

std::string TaskPageToken(const v1::Task& last) {
  return absl::StrCat(absl::ToUnixMicros(FromProtoTimestamp(last.due_at())), "/", last.task_id());
}

absl::Status ReadTaskPageToken(absl::string_view token, TaskQuery& query) {
  if (token.empty()) return absl::OkStatus();
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(token, absl::MaxSplits('/', 1));
  int64_t micros = 0;
  if (!absl::SimpleAtoi(parts.first, &micros) || !ParseTaskId(parts.second, "page_token").ok()) {
    return InvalidField("page_token", "is not a token this service issued");
  }
  query.after_due = absl::FromUnixMicros(micros);
  query.after_task_id = std::string(parts.second);
  return absl::OkStatus();
}

}  // namespace shouhu::registry
