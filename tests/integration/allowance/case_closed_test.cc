// Allowance's own reaction to a closed case, against the real registry (its CaseClosed followed by the
// allowance's registry consumer) and MariaDB: the child's applications not yet paid are cancelled by the
// system with "case closed", their reservations back in the budget through the ledger; paid ones stay; a
// payment of a cancelled application is FAILED_PRECONDITION; a replay from 0 changes nothing; and a payment
// racing the cancellation ends either paid or cancelled, never both, with the ledger reconciling. A closed
// case blocks what comes after it: an application submitted after the close (or racing it) ends cancelled or
// refused, an urgent-need draft from a report consumed after it is not made, and only a reopening folded
// since lets the child apply again. On an installation upgraded to the case standing, its backfill folds the
// closes and reopenings of the past, only up to the living follower's checkpoint, and never cancels.
#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
#include "services/allowance/case_standing_backfill.h"
#include "shouhu/registry/v1/events.pb.h"
#include "shouhu/visits/v1/events.pb.h"
#include "tests/integration/allowance/monthly_fixture.h"
#include "tests/support/status_matchers.h"

namespace shouhu::allowance::testing {
namespace {

using ::shouhu::testing::StatusIs;

class CaseClosed : public MonthlyAllowanceTest {
 protected:
  // An emergency-relief application of the child, submitted by the caseworker.
  absl::StatusOr<v1::SubmitApplicationResponse> Submit(const std::string& tag, const std::string& program_id,
                                                       const std::string& child_id, int64_t amount_fen) {
    v1::SubmitApplicationRequest submit;
    submit.set_request_id("apply-" + tag);
    submit.set_program_id(program_id);
    submit.set_child_id(child_id);
    submit.set_type(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
    submit.set_amount_fen(amount_fen);
    submit.set_reason("家中失火，急需生活物资");
    return Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, submit);
  }

  // The same, expected to be taken: its id.
  std::string Apply(const std::string& tag, const std::string& program_id, const std::string& child_id,
                    int64_t amount_fen) {
    auto submitted = Submit(tag, program_id, child_id, amount_fen);
    EXPECT_OK(submitted);
    return submitted.ok() ? submitted->application().application_id() : "";
  }

  void Approve(const std::string& tag, const std::string& application_id) {
    v1::ApproveApplicationRequest approve;
    approve.set_request_id("approve-" + tag);
    approve.set_application_id(application_id);
    auto approved = Ask(&v1::AllowanceService::Stub::ApproveApplication, ngo_admin_, approve);
    ASSERT_OK(approved);
    ASSERT_EQ(approved->application().state(), v1::APPLICATION_STATE_APPROVED);
  }

  absl::StatusOr<v1::PayApplicationResponse> Pay(const std::string& tag, const std::string& application_id) {
    v1::PayApplicationRequest pay;
    pay.set_request_id("pay-" + tag);
    pay.set_application_id(application_id);
    pay.set_method(v1::PAYMENT_METHOD_CASH);
    pay.set_payee_reference("receipt-" + tag);
    return Ask(&v1::AllowanceService::Stub::PayApplication, ngo_admin_, pay);
  }

  v1::Application Get(const std::string& application_id) {
    v1::GetApplicationRequest request;
    request.set_application_id(application_id);
    auto got = Ask(&v1::AllowanceService::Stub::GetApplication, ngo_admin_, request);
    EXPECT_OK(got);
    return got.ok() ? got->application() : v1::Application();
  }

  int PaymentsOf(const std::string& application_id) {
    v1::ListPaymentsRequest request;
    request.set_application_id(application_id);
    auto listed = Ask(&v1::AllowanceService::Stub::ListPayments, finance_, request);
    EXPECT_OK(listed);
    return listed.ok() ? listed->payments_size() : -1;
  }

  void Close(const std::string& tag, const rv1::Case& c) {
    rv1::CloseCaseRequest close;
    close.set_request_id("close-" + tag);
    close.set_case_id(c.case_id());
    close.set_reason("监护人恢复监护能力");
    ASSERT_OK(Call(&rv1::RegistryService::Stub::CloseCase, wuding_officer_, close));
  }

  void Reopen(const std::string& tag, const rv1::Case& c) {
    rv1::ReopenCaseRequest reopen;
    reopen.set_request_id("reopen-" + tag);
    reopen.set_case_id(c.case_id());
    reopen.set_reason("监护人再次外出务工，无人照料");
    ASSERT_OK(Call(&rv1::RegistryService::Stub::ReopenCase, wuding_officer_, reopen));
  }

  v1::ProgramBalances Balances(const std::string& program_id) {
    v1::GetProgramRequest request;
    request.set_program_id(program_id);
    auto program = Ask(&v1::AllowanceService::Stub::GetProgram, ngo_admin_, request);
    EXPECT_OK(program);
    return program.ok() ? program->program().balances() : v1::ProgramBalances();
  }

  // A registry event of the child folded by the allowance's follower as its consumer would, in a transaction.
  template <typename Payload>
  absl::Status Fold(int64_t sequence, const Payload& payload) {
    common::v1::Event event;
    event.set_sequence(sequence);
    event.mutable_payload()->PackFrom(payload);
    const LivingAllowanceFollower& follower = allowance_->cycles().living_follower();
    return allowance_database_->pool().Transaction(
        [&](db::Session& tx) { return follower.Apply(tx, event); });
  }

  // An urgent need found on a visit to the child, as the visits stream reports it at `sequence`, applied by
  // the allowance's visits follower: the id of the application it drafted, or "" when it drafted none.
  absl::StatusOr<std::string> DraftFromUrgentNeed(const std::string& report_id, const rv1::Case& child,
                                                  int64_t sequence) {
    visits::v1::UrgentNeedFound need;
    need.set_report_id(report_id);
    need.set_visit_id("visit-" + report_id);
    need.set_child_id(child.child_id());
    need.set_division_code(registry::testing::kWudingVillage);
    need.set_organisation_id("ngo-wuding");
    need.set_kind(visits::v1::URGENT_NEED_KIND_CLOTHING_BEDDING);
    need.set_estimated_amount_fen(80'000);
    common::v1::Event event;
    event.set_sequence(sequence);
    event.mutable_payload()->PackFrom(need);
    const UrgentNeedFollower& follower = allowance_->cycles().urgent_follower();
    RETURN_IF_ERROR(
        allowance_database_->pool().Transaction([&](db::Session& tx) { return follower.Apply(tx, event); }));
    return db::ReadOne<std::string>(
        allowance_database_->pool(), [&](db::Session& s) -> absl::StatusOr<std::string> {
          ASSIGN_OR_RETURN(
              std::optional<db::Row> row,
              s.QueryOne("SELECT application_id FROM urgent_need_drafts WHERE report_id = ?", {report_id}));
          if (!row) return absl::NotFoundError("the urgent need was not recorded");
          return row->String(0);
        });
  }

  // Options for another consumer of the registry's stream, as the allowance's own.
  EventConsumerOptions RegistryStream(const std::string& name) {
    EventConsumerOptions options;
    options.name = name;
    options.method = kLivingAllowanceStreamMethod;
    options.channel = server_->channel();
    options.identify = allowance_identity_.ForSelf();
    options.min_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(100);
    return options;
  }

  static rv1::CaseClosed ClosedAt(const rv1::Case& c, absl::Time at) {
    rv1::CaseClosed closed;
    closed.set_case_id(c.case_id());
    closed.set_child_id(c.child_id());
    *closed.mutable_at() = ToProtoTimestamp(at);
    return closed;
  }

  // The child's applications still alive: submitted, awaiting a second approval or approved.
  int64_t LiveApplicationsOf(const std::string& child_id) {
    int64_t live = -1;
    EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(
          std::optional<db::Row> row,
          s.QueryOne("SELECT COUNT(*) FROM applications WHERE child_id = ? AND state IN (1, 2, 3)",
                     {child_id}));
      live = row ? row->Int(0) : -1;
      return absl::OkStatus();
    }));
    return live;
  }
};

TEST_F(CaseClosed, UnpaidApplications_CancelledWithReasonAndReservationsReturned_PaidOnesUntouched) {
  const std::string program = FundedProgram("p");
  const rv1::Case closing = ActiveChild("closing");
  const rv1::Case other = ActiveChild("other");
  const std::string submitted = Apply("submitted", program, closing.child_id(), 10'000);
  const std::string approved = Apply("approved", program, closing.child_id(), 20'000);
  ASSERT_NO_FATAL_FAILURE(Approve("approved", approved));
  const std::string paid = Apply("paid", program, closing.child_id(), 30'000);
  ASSERT_NO_FATAL_FAILURE(Approve("paid", paid));
  ASSERT_OK(Pay("paid", paid));
  const std::string others = Apply("others", program, other.child_id(), 40'000);
  ASSERT_NO_FATAL_FAILURE(Approve("others", others));
  const v1::ProgramBalances before = Balances(program);
  ASSERT_EQ(before.reserved_fen(), 60'000);

  ASSERT_NO_FATAL_FAILURE(Close("closing", closing));
  AwaitRegistryEvents();

  for (const std::string& id : {submitted, approved}) {
    const v1::Application a = Get(id);
    EXPECT_EQ(a.state(), v1::APPLICATION_STATE_CANCELLED) << id;
    EXPECT_EQ(a.rejection_reason(), "case closed");
  }
  EXPECT_EQ(Get(paid).state(), v1::APPLICATION_STATE_PAYMENT_ISSUED);
  EXPECT_EQ(Get(others).state(), v1::APPLICATION_STATE_APPROVED);
  const v1::ProgramBalances after = Balances(program);
  EXPECT_EQ(after.reserved_fen(), 40'000);  // the other child's
  EXPECT_EQ(after.available_fen(), before.available_fen() + 20'000);
  EXPECT_EQ(after.in_payment_fen(), 30'000);
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.ApplicationCancelled"), 2);
  ExpectReconciles(program);

  // A cancelled application is never paid, nor approved again.
  EXPECT_THAT(Pay("approved-after-close", approved), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(PaymentsOf(approved), 0);
  v1::ApproveApplicationRequest late;
  late.set_request_id("approve-late");
  late.set_application_id(submitted);
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::ApproveApplication, ngo_admin_, late),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // A replay of the registry's whole stream, by a second consumer from 0, changes nothing.
  const int64_t entries = AllowanceCount("ledger_entries");
  const int64_t events = AllowanceCount("outbox_events");
  const LivingAllowanceFollower* follower = &allowance_->cycles().living_follower();
  EventConsumer replay(
      allowance_database_->pool(), metrics_, logger_, RegistryStream("allowance-living-from-registry-replay"),
      [follower](db::Session& tx, const common::v1::Event& e) { return follower->Apply(tx, e); });
  replay.Start();
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents(replay));
  replay.Stop();
  EXPECT_EQ(AllowanceCount("ledger_entries"), entries);
  EXPECT_EQ(AllowanceCount("outbox_events"), events);
  EXPECT_EQ(Get(others).state(), v1::APPLICATION_STATE_APPROVED);
  ExpectReconciles(program);
}

TEST_F(CaseClosed, ApplicationMadeAfterTheCaseReopened_NotCancelledByTheCloseReplayed) {
  // A replayed CaseClosed (a reset checkpoint) is at or below the last event folded for the child: it must
  // not cancel an application of a case reopened since.
  const std::string program = FundedProgram("p");
  const rv1::Case child = ActiveChild("child");
  ASSERT_OK(Fold(1, ClosedAt(child, absl::Now() - absl::Hours(2))));
  rv1::CaseReopened reopened;
  reopened.set_case_id(child.case_id());
  reopened.set_child_id(child.child_id());
  *reopened.mutable_at() = ToProtoTimestamp(absl::Now() - absl::Hours(1));
  ASSERT_OK(Fold(2, reopened));
  const std::string later = Apply("later", program, child.child_id(), 10'000);
  ASSERT_NO_FATAL_FAILURE(Approve("later", later));
  ASSERT_OK(Fold(1, ClosedAt(child, absl::Now() - absl::Hours(2))));
  EXPECT_EQ(Get(later).state(), v1::APPLICATION_STATE_APPROVED);
  EXPECT_EQ(Balances(program).reserved_fen(), 10'000);
}

TEST_F(CaseClosed, ApplicationSubmittedAfterTheCloseTimeBeforeItIsFolded_Cancelled) {
  // The registry closed the case an hour ago; the close reaches this service after the application was
  // submitted. The application is the closed case's all the same.
  const std::string program = FundedProgram("p");
  const rv1::Case child = ActiveChild("child");
  const std::string application = Apply("after", program, child.child_id(), 10'000);
  ASSERT_NO_FATAL_FAILURE(Approve("after", application));
  ASSERT_OK(Fold(1, ClosedAt(child, absl::Now() - absl::Hours(1))));
  EXPECT_EQ(Get(application).state(), v1::APPLICATION_STATE_CANCELLED);
  EXPECT_EQ(Balances(program).reserved_fen(), 0);
  // And the closed case takes no new one.
  EXPECT_THAT(Submit("again", program, child.child_id(), 10'000),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ExpectReconciles(program);
}

TEST_F(CaseClosed, UrgentNeedFromAReportConsumedAfterTheClose_DraftsNoApplication) {
  const std::string program = FundedProgram("p");
  const rv1::Case child = ActiveChild("child");
  ASSERT_OK(Fold(1, ClosedAt(child, absl::Now() - absl::Hours(1))));
  ASSERT_OK_AND_ASSIGN(const std::string drafted, DraftFromUrgentNeed("report-after-close", child, 1));
  EXPECT_EQ(drafted, "");
  EXPECT_EQ(AllowanceCount("urgent_need_drafts"), 1);  // consumed, once
  EXPECT_EQ(AllowanceCount("applications"), 0);
  EXPECT_EQ(Balances(program).reserved_fen(), 0);
}

TEST_F(CaseClosed, SubmissionRacingTheClose_NoLiveApplicationAfterTheClose) {
  // The close is folded and held uncommitted for a while as a slow consumer would, while the caseworker
  // submits (the registry, asked first, still says active). Whichever commits first, no application of the
  // child is alive once the close is: the submission either came first and is cancelled, or waited for the
  // close and is refused. Without the standing's lock, one committed while the close was held is left
  // alive.
  const std::string program = FundedProgram("p", 1'000'000'000);
  int refused = 0;
  int cancelled = 0;
  for (int round = 0; round < 8; ++round) {
    const std::string tag = absl::StrCat("race", round);
    const rv1::Case child = ActiveChild(tag);
    absl::Status submitted;
    std::thread close([&] {
      common::v1::Event event;
      event.set_sequence(1);
      event.mutable_payload()->PackFrom(ClosedAt(child, absl::Now()));
      const LivingAllowanceFollower& follower = allowance_->cycles().living_follower();
      EXPECT_OK(allowance_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
        RETURN_IF_ERROR(follower.Apply(tx, event));
        absl::SleepFor(absl::Milliseconds(20 * (round % 4)));
        return absl::OkStatus();
      }));
    });
    std::thread submit([&] {
      absl::SleepFor(absl::Milliseconds(7 * (round % 3)));
      v1::SubmitApplicationRequest request;
      request.set_request_id("apply-" + tag);
      request.set_program_id(program);
      request.set_child_id(child.child_id());
      request.set_type(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
      request.set_amount_fen(10'000);
      request.set_reason("家中失火，急需生活物资");
      submitted = Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, request).status();
    });
    close.join();
    submit.join();
    if (submitted.ok()) {
      ++cancelled;
    } else {
      EXPECT_EQ(submitted.code(), absl::StatusCode::kFailedPrecondition) << submitted;
      ++refused;
    }
    EXPECT_EQ(LiveApplicationsOf(child.child_id()), 0) << tag;
  }
  EXPECT_EQ(refused + cancelled, 8);
  ExpectReconciles(program);
}

TEST_F(CaseClosed, CancellationRacingAPayment_EitherPaidOrCancelledNeverBoth_LedgerReconciles) {
  const std::string program = FundedProgram("p");
  int paid_rounds = 0;
  int cancelled_rounds = 0;
  for (int round = 0; round < 6; ++round) {
    const std::string tag = absl::StrCat("race", round);
    const rv1::Case child = ActiveChild(tag);
    const std::string application = Apply(tag, program, child.child_id(), 10'000 + round);
    ASSERT_NO_FATAL_FAILURE(Approve(tag, application));
    AwaitRegistryEvents();

    // Hold the application's row, so the payment and the cancellation both queue on it and are let go
    // together: whichever comes second must see what the first committed. Without the cancellation's
    // locking read it would judge the application on a stale APPROVED and release money already paid out.
    absl::Notification locked;
    absl::Notification release;
    std::thread holder([&] {
      EXPECT_OK(allowance_database_->pool().Transaction([&](db::Session& tx) -> absl::Status {
        RETURN_IF_ERROR(
            tx.Query("SELECT id FROM applications WHERE id = ? FOR UPDATE", {application}).status());
        locked.Notify();
        release.WaitForNotification();
        return absl::OkStatus();
      }));
    });
    locked.WaitForNotification();
    absl::StatusOr<v1::PayApplicationResponse> payment = absl::UnknownError("not run");
    std::thread payer([&] { payment = Pay(tag, application); });
    ASSERT_NO_FATAL_FAILURE(Close(tag, child));  // the registry consumer's cancellation queues too
    // Time for both to reach the row lock; not an assertion: whichever order they are let go in, the
    // invariant below must hold.
    absl::SleepFor(absl::Milliseconds(300));
    release.Notify();
    holder.join();
    payer.join();
    AwaitRegistryEvents();

    const v1::Application a = Get(application);
    if (payment.ok()) {
      ++paid_rounds;
      EXPECT_EQ(a.state(), v1::APPLICATION_STATE_PAYMENT_ISSUED) << tag;
      EXPECT_EQ(PaymentsOf(application), 1) << tag;
    } else {
      ++cancelled_rounds;
      EXPECT_THAT(payment, StatusIs(absl::StatusCode::kFailedPrecondition)) << tag;
      EXPECT_EQ(a.state(), v1::APPLICATION_STATE_CANCELLED) << tag;
      EXPECT_EQ(PaymentsOf(application), 0) << tag;
    }
    ExpectReconciles(program);
  }
  const v1::ProgramBalances balances = Balances(program);
  EXPECT_EQ(balances.reserved_fen(), 0);  // every round's money either went out or came back
  EXPECT_EQ(paid_rounds + cancelled_rounds, 6);
  EXPECT_EQ(AllowanceEvents("shouhu.allowance.v1.ApplicationCancelled"), cancelled_rounds);
}

// ------------------------------------------------------------------------------ the case standing's backfill

class StandingBackfill : public CaseClosed {
 protected:
  // What the registry holds of the past on an installation upgraded to the case standing (migration 0070).
  struct PastCases {
    std::string program;
    rv1::Case closed;                     // closed before the upgrade
    rv1::Case reopened;                   // closed and reopened before the upgrade
    std::string applied_after_reopening;  // the reopened child's approved application
  };

  // The installation as the upgrade leaves it: the living follower's checkpoint past the past's closes and
  // reopenings, no case standing, and no backfill ever run.
  void UpgradedInstallation(PastCases& past) {
    past.program = FundedProgram("p");
    past.closed = ActiveChild("closed");
    past.reopened = ActiveChild("reopened");
    ASSERT_NO_FATAL_FAILURE(Close("closed", past.closed));
    ASSERT_NO_FATAL_FAILURE(Close("reopened", past.reopened));
    ASSERT_NO_FATAL_FAILURE(Reopen("reopened", past.reopened));
    ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
    past.applied_after_reopening = Apply("after-reopening", past.program, past.reopened.child_id(), 10'000);
    ASSERT_NO_FATAL_FAILURE(Approve("after-reopening", past.applied_after_reopening));
    ASSERT_OK(Execute("DELETE FROM allowance_case_standing", {}));
    ASSERT_NO_FATAL_FAILURE(ForgetBackfill());
  }

  // No backfill has run here: its checkpoint row (which the fixture's fresh start marked finished) is gone.
  void ForgetBackfill() {
    ASSERT_OK(
        Execute("DELETE FROM event_checkpoints WHERE consumer = ?", {kCaseStandingBackfillConsumerName}));
  }

  // Starts the service again, as the upgraded release starts, and waits for the backfill it must start to
  // reach the registry's last event.
  void RestartAndAwaitBackfill() {
    StopAllowance();
    ASSERT_NO_FATAL_FAILURE(StartAllowance());
    EventConsumer* backfill = allowance_->cycles().standing_backfill_consumer();
    ASSERT_NE(backfill, nullptr);
    ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents(*backfill));
  }

  absl::Status Execute(const std::string& sql, const std::vector<db::Value>& params) {
    return allowance_database_->pool().Autocommit(
        [&](db::Session& s) { return s.Execute(sql, params).status(); });
  }

  // Each child's standing row: "closed" or "open", and the registry event last folded.
  std::map<std::string, std::string> Standing() {
    std::map<std::string, std::string> standing;
    EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows rows,
                       s.Query("SELECT child_id, closed, last_event_sequence FROM allowance_case_standing"));
      for (const db::Row& r : rows) {
        standing[r.String(0)] = absl::StrCat(r.Int(1) != 0 ? "closed" : "open", "@", r.Int(2));
      }
      return absl::OkStatus();
    }));
    return standing;
  }

  // The sequence of the registry's last event of this type about the child.
  template <typename Payload>
  int64_t SequenceOf(const rv1::Case& c) {
    int64_t sequence = -1;
    for (const common::v1::Event& e : Events()) {
      Payload payload;
      if (e.payload().UnpackTo(&payload) && payload.child_id() == c.child_id()) sequence = e.sequence();
    }
    return sequence;
  }
};

TEST_F(StandingBackfill,
       CasesClosedBeforeTheUpgrade_ClosedToApplications_ReopenedOnesOpenAndNothingCancelled) {
  PastCases past;
  ASSERT_NO_FATAL_FAILURE(UpgradedInstallation(past));
  ASSERT_TRUE(Standing().empty());  // the defect: the closed case reads open

  ASSERT_NO_FATAL_FAILURE(RestartAndAwaitBackfill());

  EXPECT_EQ(
      Standing(),
      (std::map<std::string, std::string>{
          {past.closed.child_id(), absl::StrCat("closed@", SequenceOf<rv1::CaseClosed>(past.closed))},
          {past.reopened.child_id(), absl::StrCat("open@", SequenceOf<rv1::CaseReopened>(past.reopened))},
      }));
  // The closed case takes nothing new: the registry refuses a submission, and the standing the urgent-need
  // draft (which asks no registry) and the approvals read says closed.
  EXPECT_THAT(Submit("closed", past.program, past.closed.child_id(), 10'000),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(const std::string drafted, DraftFromUrgentNeed("report-closed", past.closed, 1));
  EXPECT_EQ(drafted, "");
  // The reopened one is open, and the replayed close did not cancel what was applied for after the reopening.
  EXPECT_EQ(Get(past.applied_after_reopening).state(), v1::APPLICATION_STATE_APPROVED);
  EXPECT_EQ(Balances(past.program).reserved_fen(), 10'000);
  EXPECT_OK(Submit("reopened-again", past.program, past.reopened.child_id(), 20'000));
  ExpectReconciles(past.program);
}

TEST_F(StandingBackfill,
       CloseAboveTheLivingCheckpoint_LeftToTheLivingFollower_WhichCancelsTheOpenApplication) {
  const std::string program = FundedProgram("p");
  const rv1::Case child = ActiveChild("child");
  const std::string open = Apply("open", program, child.child_id(), 10'000);
  ASSERT_NO_FATAL_FAILURE(Approve("open", open));
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  // A fresh installation never runs the backfill, not even once its living follower has moved on.
  StopAllowance();
  ASSERT_NO_FATAL_FAILURE(StartAllowance());
  EXPECT_EQ(allowance_->cycles().standing_backfill_consumer(), nullptr);
  // The living follower falls behind, and the close comes above its checkpoint while the backfill runs.
  allowance_->cycles().registry_consumer()->Stop();
  ASSERT_NO_FATAL_FAILURE(Close("child", child));
  ASSERT_NO_FATAL_FAILURE(ForgetBackfill());
  const CaseStandingBackfill* backfill = &allowance_->cycles().standing_backfill();
  EventConsumer consumer(allowance_database_->pool(), metrics_, logger_,
                         RegistryStream(kCaseStandingBackfillConsumerName),
                         ApplyEvents([backfill](db::Session& tx, absl::Span<const common::v1::Event> events) {
                           return backfill->Apply(tx, events);
                         }));
  consumer.Start();
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents(consumer));  // it went past the close
  consumer.Stop();
  EXPECT_EQ(Standing()[child.child_id()], "open@0");
  EXPECT_EQ(Get(open).state(), v1::APPLICATION_STATE_APPROVED);

  // The living follower, started again, folds the close as new and cancels the application; the backfill,
  // past the living follower's checkpoint, is not started again.
  StopAllowance();
  ASSERT_NO_FATAL_FAILURE(StartAllowance());
  EXPECT_EQ(allowance_->cycles().standing_backfill_consumer(), nullptr);
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  EXPECT_EQ(Standing()[child.child_id()], absl::StrCat("closed@", SequenceOf<rv1::CaseClosed>(child)));
  EXPECT_EQ(Get(open).state(), v1::APPLICATION_STATE_CANCELLED);
  EXPECT_EQ(Balances(program).reserved_fen(), 0);
  ExpectReconciles(program);
}

TEST_F(StandingBackfill, RunAgain_ChangesNothingAtAnyEvent) {
  PastCases past;
  ASSERT_NO_FATAL_FAILURE(UpgradedInstallation(past));
  ASSERT_NO_FATAL_FAILURE(RestartAndAwaitBackfill());
  const std::map<std::string, std::string> standing = Standing();
  ASSERT_EQ(standing.size(), 2u);
  const int64_t entries = AllowanceCount("ledger_entries");
  const int64_t events = AllowanceCount("outbox_events");

  // Every event again, one per transaction as a consumer set back to 0 applies a trickle: no step changes
  // the standing (the reopened child's close, replayed, does not close it again for a while).
  const CaseStandingBackfill& backfill = allowance_->cycles().standing_backfill();
  for (const common::v1::Event& event : Events()) {
    ASSERT_OK(allowance_database_->pool().Transaction(
        [&](db::Session& tx) { return backfill.Apply(tx, absl::MakeConstSpan(&event, 1)); }));
    EXPECT_EQ(Standing(), standing) << "after event " << event.sequence();
  }
  // And the whole run again, through the module, its checkpoint set back to 0.
  ASSERT_OK(Execute("UPDATE event_checkpoints SET last_sequence = 0 WHERE consumer = ?",
                    {kCaseStandingBackfillConsumerName}));
  ASSERT_NO_FATAL_FAILURE(RestartAndAwaitBackfill());
  EXPECT_EQ(Standing(), standing);
  EXPECT_EQ(AllowanceCount("ledger_entries"), entries);
  EXPECT_EQ(AllowanceCount("outbox_events"), events);
  EXPECT_EQ(Get(past.applied_after_reopening).state(), v1::APPLICATION_STATE_APPROVED);
  // Caught up, it is not started again, nor once the living follower has moved on since.
  StopAllowance();
  ASSERT_NO_FATAL_FAILURE(StartAllowance());
  EXPECT_EQ(allowance_->cycles().standing_backfill_consumer(), nullptr);
  ActiveChild("later");
  ASSERT_NO_FATAL_FAILURE(AwaitRegistryEvents());
  StopAllowance();
  ASSERT_NO_FATAL_FAILURE(StartAllowance());
  EXPECT_EQ(allowance_->cycles().standing_backfill_consumer(), nullptr);
  ExpectReconciles(past.program);
}

}  // namespace
}  // namespace shouhu::allowance::testing
