// Allowance's own reaction to a closed case, against the real registry (its CaseClosed followed by the
// allowance's registry consumer) and MariaDB: the child's applications not yet paid are cancelled by the
// system with "case closed", their reservations back in the budget through the ledger; paid ones stay; a
// payment of a cancelled application is FAILED_PRECONDITION; a replay from 0 changes nothing; and a payment
// racing the cancellation ends either paid or cancelled, never both, with the ledger reconciling. A closed
// case blocks what comes after it: an application submitted after the close (or racing it) ends cancelled or
// refused, an urgent-need draft from a report consumed after it is not made, and only a reopening folded
// since lets the child apply again.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/timestamps.h"
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
  std::string Apply(const std::string& tag, const std::string& program_id, const std::string& child_id,
                    int64_t amount_fen) {
    v1::SubmitApplicationRequest submit;
    submit.set_request_id("apply-" + tag);
    submit.set_program_id(program_id);
    submit.set_child_id(child_id);
    submit.set_type(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
    submit.set_amount_fen(amount_fen);
    submit.set_reason("家中失火，急需生活物资");
    auto submitted = Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, submit);
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

  void ExpectReconciles(const std::string& program_id) {
    ASSERT_OK_AND_ASSIGN(ReconcileResult reconciled,
                         allowance_->store().ReconcileProgram(program_id, absl::Now()));
    EXPECT_TRUE(reconciled.reconciliation.balanced)
        << absl::StrJoin(reconciled.reconciliation.problems, "; ");
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
  EventConsumerOptions options;
  options.name = "allowance-living-from-registry-replay";
  options.method = kLivingAllowanceStreamMethod;
  options.channel = server_->channel();
  options.identify = allowance_identity_.ForSelf();
  options.min_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(100);
  const LivingAllowanceFollower* follower = &allowance_->cycles().living_follower();
  EventConsumer replay(
      allowance_database_->pool(), metrics_, logger_, options,
      [follower](db::Session& tx, const common::v1::Event& e) { return follower->Apply(tx, e); });
  replay.Start();
  const int64_t last = Events().back().sequence();
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  while (replay.Checkpoint().value_or(0) < last && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_OK_AND_ASSIGN(int64_t checkpoint, replay.Checkpoint());
  ASSERT_EQ(checkpoint, last);
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
  v1::SubmitApplicationRequest submit;
  submit.set_request_id("apply-again");
  submit.set_program_id(program);
  submit.set_child_id(child.child_id());
  submit.set_type(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
  submit.set_amount_fen(10'000);
  submit.set_reason("家中失火，急需生活物资");
  EXPECT_THAT(Ask(&v1::AllowanceService::Stub::SubmitApplication, wuding_caseworker_, submit),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ExpectReconciles(program);
}

TEST_F(CaseClosed, UrgentNeedFromAReportConsumedAfterTheClose_DraftsNoApplication) {
  const std::string program = FundedProgram("p");
  const rv1::Case child = ActiveChild("child");
  ASSERT_OK(Fold(1, ClosedAt(child, absl::Now() - absl::Hours(1))));
  visits::v1::UrgentNeedFound need;
  need.set_report_id("report-after-close");
  need.set_visit_id("visit-after-close");
  need.set_child_id(child.child_id());
  need.set_division_code(registry::testing::kWudingVillage);
  need.set_organisation_id("ngo-wuding");
  need.set_kind(visits::v1::URGENT_NEED_KIND_CLOTHING_BEDDING);
  need.set_estimated_amount_fen(80'000);
  common::v1::Event event;
  event.set_sequence(1);
  event.mutable_payload()->PackFrom(need);
  const UrgentNeedFollower& follower = allowance_->cycles().urgent_follower();
  ASSERT_OK(
      allowance_database_->pool().Transaction([&](db::Session& tx) { return follower.Apply(tx, event); }));
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

}  // namespace
}  // namespace shouhu::allowance::testing
