// The group commit's queue (common/group_commit.h) against a writer that records its batches: orders that
// arrive while a batch is being written go together into the next one, each caller gets its own answer, and
// stopping writes what is queued. What the stores write in a batch is tested against MariaDB in
// tests/integration/registry/referral_test.cc and tests/integration/allowance/payment_batch_test.cc.
#include "common/group_commit.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "tests/support/status_matchers.h"

namespace shouhu {
namespace {

using ::shouhu::testing::StatusIs;

// An order is its request id; its answer names it.
using Intake = GroupCommit<std::string, std::string>;

std::string Order(const std::string& request_id) { return request_id; }

// Answers each order with a referral named after its request id, after `release` (when set) lets the
// first batch through; with `hold_committing`, the first batch is held after it has said it is committing
// (its COMMIT waiting for the disk), otherwise while it is still being written.
struct RecordingWriter {
  absl::Mutex mu;
  std::vector<std::vector<std::string>> batches ABSL_GUARDED_BY(mu);
  absl::Notification first_started;
  absl::Notification* release = nullptr;
  bool hold_committing = false;

  Intake::WriteBatch Writer() {
    return [this](const std::vector<std::string>& orders, const std::function<void()>& committing) {
      std::vector<std::string> ids = orders;
      bool first = false;
      {
        absl::MutexLock lock(&mu);
        first = batches.empty();
        batches.push_back(ids);
      }
      if (first) {
        if (hold_committing) committing();
        first_started.Notify();
        if (release != nullptr) release->WaitForNotification();
      }
      std::vector<absl::StatusOr<std::string>> answers;
      for (const auto& o : orders) answers.push_back("answer-" + o);
      return answers;
    };
  }
};

// Collects the answers as the committer hands them over.
struct Answers {
  absl::Mutex mu;
  std::map<std::string, absl::StatusOr<std::string>> by_request ABSL_GUARDED_BY(mu);
  size_t calls ABSL_GUARDED_BY(mu) = 0;  // answers given, counting any given twice

  Intake::Answered For(const std::string& request_id) {
    return [this, request_id](absl::StatusOr<std::string> answer) {
      absl::MutexLock lock(&mu);
      ++calls;
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

TEST(GroupCommitTest, Submit_ArrivingWhileABatchCommits_AreWrittenTogetherInTheNextBatch) {
  absl::Notification release;
  RecordingWriter writer;
  writer.release = &release;
  Answers answers;
  {
    Intake intake(writer.Writer(), /*max_batch=*/128);
    intake.Submit(Order("a"), answers.For("a"));
    ASSERT_TRUE(writer.first_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
    // The first batch is in flight: these wait for it and then share one.
    for (const char* id : {"b", "c", "d", "e"}) intake.Submit(Order(id), answers.For(id));
    EXPECT_EQ(answers.Count(), 0u);  // nobody is answered before their batch is written
    release.Notify();
    ASSERT_TRUE(answers.Await(5));
    EXPECT_EQ(intake.BatchesAndOrders(), std::make_pair(int64_t{2}, int64_t{5}));
  }
  absl::MutexLock lock(&writer.mu);
  EXPECT_EQ(writer.batches, (std::vector<std::vector<std::string>>{{"a"}, {"b", "c", "d", "e"}}));
  absl::MutexLock answers_lock(&answers.mu);
  for (const auto& [request_id, answer] : answers.by_request) {
    ASSERT_OK(answer);
    EXPECT_EQ(*answer, "answer-" + request_id);  // each caller its own answer
  }
}

TEST(GroupCommitTest, Submit_MoreThanABatchHolds_SplitsAtTheBound) {
  absl::Notification release;
  RecordingWriter writer;
  writer.release = &release;
  Answers answers;
  {
    Intake intake(writer.Writer(), /*max_batch=*/3);
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

TEST(GroupCommitTest, Submit_QueueFull_RefusedAtOnceAndTheQueuedStillCommitted) {
  absl::Notification release;
  RecordingWriter writer;
  writer.release = &release;
  Answers answers;
  {
    Intake intake(writer.Writer(), /*max_batch=*/2, /*max_waiting=*/3);
    intake.Submit(Order("first"), answers.For("first"));
    ASSERT_TRUE(writer.first_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
    // "first" is being written and no longer waits: three more fit, the fourth and fifth do not.
    for (const char* id : {"a", "b", "c", "d", "e"}) intake.Submit(Order(id), answers.For(id));
    {
      absl::MutexLock lock(&answers.mu);
      ASSERT_EQ(answers.by_request.size(), 2u);  // the refused, answered on the caller's thread
      EXPECT_THAT(answers.by_request.at("d"), StatusIs(absl::StatusCode::kResourceExhausted));
      EXPECT_THAT(answers.by_request.at("e"), StatusIs(absl::StatusCode::kResourceExhausted));
    }
    release.Notify();
    ASSERT_TRUE(answers.Await(6));
    // Once the queue drains there is room again.
    intake.Submit(Order("f"), answers.For("f"));
    ASSERT_TRUE(answers.Await(7));
  }
  absl::MutexLock lock(&writer.mu);
  EXPECT_EQ(writer.batches, (std::vector<std::vector<std::string>>{{"first"}, {"a", "b"}, {"c"}, {"f"}}));
  absl::MutexLock answers_lock(&answers.mu);
  for (const char* id : {"first", "a", "b", "c", "f"}) {
    ASSERT_OK(answers.by_request.at(id));
    EXPECT_EQ(*answers.by_request.at(id), std::string("answer-") + id);
  }
}

TEST(GroupCommitTest, Destroyed_WithSubmissionsQueued_WritesAndAnswersThemFirst) {
  absl::Notification release;
  RecordingWriter writer;
  writer.release = &release;
  Answers answers;
  {
    Intake intake(writer.Writer(), /*max_batch=*/128);
    intake.Submit(Order("a"), answers.For("a"));
    ASSERT_TRUE(writer.first_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
    intake.Submit(Order("b"), answers.For("b"));
    release.Notify();
  }  // stops here: "b" is still queued or being written
  EXPECT_EQ(answers.Count(), 2u);
  absl::MutexLock lock(&answers.mu);
  EXPECT_OK(answers.by_request.at("b"));
}

TEST(GroupCommitTest, Submit_WriterAnswersTooFew_FailsTheWholeBatchInternal) {
  Answers answers;
  {
    Intake intake([](const std::vector<std::string>&,
                     const std::function<void()>&) { return std::vector<absl::StatusOr<std::string>>{}; },
                  /*max_batch=*/128);
    intake.Submit(Order("a"), answers.For("a"));
    ASSERT_TRUE(answers.Await(1));
  }
  absl::MutexLock lock(&answers.mu);
  EXPECT_THAT(answers.by_request.at("a"), StatusIs(absl::StatusCode::kInternal));
}

TEST(GroupCommitTest, Submit_ManyCallersAtOnce_EachAnsweredOnceAfterItsBatchWithItsOwnAnswer) {
  absl::Notification release;
  RecordingWriter writer;
  writer.release = &release;
  Answers answers;
  constexpr int kCallers = 16;
  {
    Intake intake(writer.Writer(), /*max_batch=*/128);
    intake.Submit(Order("first"), answers.For("first"));
    ASSERT_TRUE(writer.first_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back(
          [&, i] { intake.Submit(Order(std::to_string(i)), answers.For(std::to_string(i))); });
    }
    for (std::thread& t : callers) t.join();
    EXPECT_EQ(answers.Count(), 0u);  // the first batch is held, and everyone queued behind it
    release.Notify();
    ASSERT_TRUE(answers.Await(kCallers + 1));
    EXPECT_EQ(intake.BatchesAndOrders(), std::make_pair(int64_t{2}, int64_t{kCallers + 1}));
  }
  absl::MutexLock lock(&answers.mu);
  EXPECT_EQ(answers.by_request.size(), size_t{kCallers + 1});  // every caller answered
  EXPECT_EQ(answers.calls, size_t{kCallers + 1});              // and none twice
  for (const auto& [request_id, answer] : answers.by_request) {
    ASSERT_OK(answer);
    EXPECT_EQ(*answer, "answer-" + request_id);
  }
}

// Callers are answered off the committer: a batch whose answering is slow (here, held) does not hold up the
// next batch's writing. (Answered on the committer, "a"'s answer would wait for "b"'s batch forever.)
TEST(GroupCommitTest, Submit_ABatchStillBeingAnswered_TheNextIsWrittenMeanwhile) {
  RecordingWriter writer;
  absl::Notification a_answering;
  absl::Notification b_written;
  bool b_written_before_a_answered = false;
  Answers answers;
  {
    Intake intake(
        [&](const std::vector<std::string>& orders, const std::function<void()>& committing) {
          std::vector<absl::StatusOr<std::string>> written = writer.Writer()(orders, committing);
          if (orders == std::vector<std::string>{"b"}) b_written.Notify();
          return written;
        },
        /*max_batch=*/128);
    intake.Submit(Order("a"), [&](absl::StatusOr<std::string> answer) {
      a_answering.Notify();
      b_written_before_a_answered = b_written.WaitForNotificationWithTimeout(absl::Seconds(10));
      answers.For("a")(std::move(answer));
    });
    ASSERT_TRUE(a_answering.WaitForNotificationWithTimeout(absl::Seconds(30)));
    intake.Submit(Order("b"), answers.For("b"));
    ASSERT_TRUE(answers.Await(2));
  }
  EXPECT_TRUE(b_written_before_a_answered);
  absl::MutexLock lock(&writer.mu);
  EXPECT_EQ(writer.batches, (std::vector<std::vector<std::string>>{{"a"}, {"b"}}));
}

// Two committers take turns: while one batch's COMMIT waits for the disk, the other committer writes what
// arrived meanwhile.
// Written batches wait for the answering thread only up to a bound: with "a" stuck in its answer and one
// written batch allowed to wait, "b" waits, "c" is written and then holds its committer, and "d" is not
// written until "a" is answered. Without the bound every batch would be written and queued, however slow the
// answers.
TEST(GroupCommitTest, Submit_AnswersStuck_CommittersStopAfterTheUnansweredBound) {
  RecordingWriter writer;
  absl::Notification a_answering, release_a;
  Answers answers;
  {
    Intake intake(writer.Writer(), /*max_batch=*/1, /*max_waiting=*/16, /*committers=*/1,
                  /*max_unanswered=*/1);
    intake.Submit(Order("a"), [&](absl::StatusOr<std::string> answer) {
      a_answering.Notify();
      release_a.WaitForNotification();
      answers.For("a")(std::move(answer));
    });
    ASSERT_TRUE(a_answering.WaitForNotificationWithTimeout(absl::Seconds(30)));
    for (const char* id : {"b", "c", "d"}) intake.Submit(Order(id), answers.For(id));
    // Not a timing target: room for the committer to write "d" if nothing held it back.
    absl::SleepFor(absl::Milliseconds(300));
    {
      absl::MutexLock lock(&writer.mu);
      EXPECT_EQ(writer.batches, (std::vector<std::vector<std::string>>{{"a"}, {"b"}, {"c"}}));
    }
    release_a.Notify();
    ASSERT_TRUE(answers.Await(4));
  }
  absl::MutexLock lock(&writer.mu);
  EXPECT_EQ(writer.batches.size(), 4u);
}

TEST(GroupCommitTest, Submit_TwoCommittersOneBatchCommitting_TheNextIsWrittenMeanwhile) {
  absl::Notification release;
  RecordingWriter writer;
  writer.release = &release;
  writer.hold_committing = true;
  Answers answers;
  {
    Intake intake(writer.Writer(), /*max_batch=*/128, /*max_waiting=*/0, /*committers=*/2);
    intake.Submit(Order("a"), answers.For("a"));
    ASSERT_TRUE(writer.first_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
    intake.Submit(Order("b"), answers.For("b"));
    ASSERT_TRUE(answers.Await(1));  // "b", written by the second committer while "a" commits
    {
      absl::MutexLock lock(&answers.mu);
      EXPECT_EQ(answers.by_request.count("a"), 0u);
      ASSERT_EQ(answers.by_request.count("b"), 1u);
    }
    release.Notify();
    ASSERT_TRUE(answers.Await(2));
    EXPECT_EQ(intake.BatchesAndOrders(), std::make_pair(int64_t{2}, int64_t{2}));
  }
  absl::MutexLock lock(&writer.mu);
  EXPECT_EQ(writer.batches, (std::vector<std::vector<std::string>>{{"a"}, {"b"}}));
}

// ... but never two batches being written at once: what arrives while a batch is still written waits for its
// turn and then goes in one batch, not split across the idle committers (which halved the payments' batches
// and cost them a third more CPU each).
TEST(GroupCommitTest, Submit_TwoCommittersOneBatchStillWritten_WhatArrivesWaitsAndGoesTogether) {
  absl::Notification release;
  RecordingWriter writer;
  writer.release = &release;
  Answers answers;
  {
    Intake intake(writer.Writer(), /*max_batch=*/128, /*max_waiting=*/0, /*committers=*/2);
    intake.Submit(Order("a"), answers.For("a"));
    ASSERT_TRUE(writer.first_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
    intake.Submit(Order("b"), answers.For("b"));
    // Given time to be written by the idle committer, if it wrongly took a turn.
    absl::SleepFor(absl::Milliseconds(200));
    intake.Submit(Order("c"), answers.For("c"));
    EXPECT_EQ(answers.Count(), 0u);
    release.Notify();
    ASSERT_TRUE(answers.Await(3));
    EXPECT_EQ(intake.BatchesAndOrders(), std::make_pair(int64_t{2}, int64_t{3}));
  }
  absl::MutexLock lock(&writer.mu);
  EXPECT_EQ(writer.batches, (std::vector<std::vector<std::string>>{{"a"}, {"b", "c"}}));
}

}  // namespace
}  // namespace shouhu
