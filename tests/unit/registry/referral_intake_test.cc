// The referral intake's group commit (services/registry/referral_intake.h) against a writer that records its
// batches: submissions that arrive while a batch is being written go together into the next one, each
// caller gets its own answer, and stopping writes what is queued. The SQL of a batch is tested against
// MariaDB in tests/integration/registry/referral_test.cc.
#include "services/registry/referral_intake.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "tests/support/status_matchers.h"

namespace shouhu::registry {
namespace {

using ::shouhu::testing::StatusIs;

ReferralOrder Order(const std::string& request_id) {
  ReferralOrder order;
  order.key = {"shouhu.registry.v1.RegistryService/SubmitReferral", "caseworker-1", request_id, "hash"};
  order.submission.referral.mutable_child()->set_name(request_id);
  return order;
}

// Answers each order with a referral named after its request id, after `release` (when set) lets the
// first batch through.
struct RecordingWriter {
  absl::Mutex mu;
  std::vector<std::vector<std::string>> batches ABSL_GUARDED_BY(mu);
  absl::Notification first_started;
  absl::Notification* release = nullptr;

  ReferralIntake::WriteBatch Writer() {
    return [this](const std::vector<ReferralOrder>& orders) {
      std::vector<std::string> ids;
      for (const auto& o : orders) ids.push_back(o.key.request_id);
      bool first = false;
      {
        absl::MutexLock lock(&mu);
        first = batches.empty();
        batches.push_back(ids);
      }
      if (first) {
        first_started.Notify();
        if (release != nullptr) release->WaitForNotification();
      }
      std::vector<absl::StatusOr<v1::SubmitReferralResponse>> answers;
      for (const auto& o : orders) {
        v1::SubmitReferralResponse answer;
        answer.mutable_referral()->set_referral_id("referral-" + o.key.request_id);
        answers.push_back(answer);
      }
      return answers;
    };
  }
};

// Collects the answers as the committer hands them over.
struct Answers {
  absl::Mutex mu;
  std::map<std::string, absl::StatusOr<v1::SubmitReferralResponse>> by_request ABSL_GUARDED_BY(mu);

  ReferralIntake::Answered For(const std::string& request_id) {
    return [this, request_id](absl::StatusOr<v1::SubmitReferralResponse> answer) {
      absl::MutexLock lock(&mu);
      by_request.emplace(request_id, std::move(answer));
    };
  }
  size_t Count() {
    absl::MutexLock lock(&mu);
    return by_request.size();
  }
  bool Await(size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return by_request.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
  }
};

TEST(ReferralIntakeTest, Submit_ArrivingWhileABatchCommits_AreWrittenTogetherInTheNextBatch) {
  absl::Notification release;
  RecordingWriter writer;
  writer.release = &release;
  Answers answers;
  {
    ReferralIntake intake(writer.Writer(), /*max_batch=*/128);
    intake.Submit(Order("a"), answers.For("a"));
    ASSERT_TRUE(writer.first_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
    // The first batch is in flight: these wait for it and then share one.
    for (const char* id : {"b", "c", "d", "e"}) intake.Submit(Order(id), answers.For(id));
    EXPECT_EQ(answers.Count(), 0u);  // nobody is answered before their batch is written
    release.Notify();
    ASSERT_TRUE(answers.Await(5));
    EXPECT_EQ(intake.BatchesAndReferrals(), std::make_pair(int64_t{2}, int64_t{5}));
  }
  absl::MutexLock lock(&writer.mu);
  EXPECT_EQ(writer.batches, (std::vector<std::vector<std::string>>{{"a"}, {"b", "c", "d", "e"}}));
  absl::MutexLock answers_lock(&answers.mu);
  for (const auto& [request_id, answer] : answers.by_request) {
    ASSERT_OK(answer);
    EXPECT_EQ(answer->referral().referral_id(), "referral-" + request_id);  // each caller its own answer
  }
}

TEST(ReferralIntakeTest, Submit_MoreThanABatchHolds_SplitsAtTheBound) {
  absl::Notification release;
  RecordingWriter writer;
  writer.release = &release;
  Answers answers;
  {
    ReferralIntake intake(writer.Writer(), /*max_batch=*/3);
    intake.Submit(Order("first"), answers.For("first"));
    ASSERT_TRUE(writer.first_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
    for (int i = 0; i < 7; ++i) intake.Submit(Order(std::to_string(i)), answers.For(std::to_string(i)));
    release.Notify();
    ASSERT_TRUE(answers.Await(8));
  }
  absl::MutexLock lock(&writer.mu);
  EXPECT_EQ(writer.batches,
            (std::vector<std::vector<std::string>>{{"first"}, {"0", "1", "2"}, {"3", "4", "5"}, {"6"}}));
}

TEST(ReferralIntakeTest, Destroyed_WithSubmissionsQueued_WritesAndAnswersThemFirst) {
  absl::Notification release;
  RecordingWriter writer;
  writer.release = &release;
  Answers answers;
  {
    ReferralIntake intake(writer.Writer(), /*max_batch=*/128);
    intake.Submit(Order("a"), answers.For("a"));
    ASSERT_TRUE(writer.first_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
    intake.Submit(Order("b"), answers.For("b"));
    release.Notify();
  }  // stops here: "b" is still queued or being written
  EXPECT_EQ(answers.Count(), 2u);
  absl::MutexLock lock(&answers.mu);
  EXPECT_OK(answers.by_request.at("b"));
}

TEST(ReferralIntakeTest, Submit_WriterAnswersTooFew_FailsTheWholeBatchInternal) {
  Answers answers;
  {
    ReferralIntake intake(
        [](const std::vector<ReferralOrder>&) {
          return std::vector<absl::StatusOr<v1::SubmitReferralResponse>>{};
        },
        /*max_batch=*/128);
    intake.Submit(Order("a"), answers.For("a"));
    ASSERT_TRUE(answers.Await(1));
  }
  absl::MutexLock lock(&answers.mu);
  EXPECT_THAT(answers.by_request.at("a"), StatusIs(absl::StatusCode::kInternal));
}

}  // namespace
}  // namespace shouhu::registry
