// Certificates: when one is earned, how long it runs, what a renewal does, its status on a day.
#include "services/training/certification_rules.h"

#include <gtest/gtest.h>

#include "common/status_macros.h"
#include "tests/support/status_matchers.h"

namespace shouhu::training {
namespace {

TEST(CertificationEarned, NeedsAttendanceAndPassMark) {
  EXPECT_TRUE(CertificationEarned(true, true, 60, 60));
  EXPECT_FALSE(CertificationEarned(true, true, 59, 60));
  EXPECT_FALSE(CertificationEarned(false, true, 100, 60));
  EXPECT_FALSE(CertificationEarned(true, false, 0, 0));
}

TEST(AddMonths, ClampsToShorterMonth) {
  EXPECT_EQ(AddMonths(absl::CivilDay(2025, 1, 31), 1), absl::CivilDay(2025, 2, 28));
  EXPECT_EQ(AddMonths(absl::CivilDay(2024, 1, 31), 1), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(AddMonths(absl::CivilDay(2025, 3, 8), 12), absl::CivilDay(2026, 3, 8));
  EXPECT_EQ(AddMonths(absl::CivilDay(2025, 11, 15), 3), absl::CivilDay(2026, 2, 15));
}

TEST(RenewedExpiry, BeforeItRanOut_FollowsOn_After_StartsOnTheRenewalDay) {
  EXPECT_EQ(RenewedExpiry(absl::CivilDay(2026, 4, 1), absl::CivilDay(2026, 3, 1), 6),
            absl::CivilDay(2026, 10, 1));
  EXPECT_EQ(RenewedExpiry(absl::CivilDay(2025, 9, 8), absl::CivilDay(2025, 10, 1), 6),
            absl::CivilDay(2026, 4, 1));
  // Renewed on its expiry day: it had already run out that morning.
  EXPECT_EQ(RenewedExpiry(absl::CivilDay(2025, 9, 8), absl::CivilDay(2025, 9, 8), 1),
            absl::CivilDay(2025, 10, 8));
}

TEST(Renew, BeforeItRanOut_KeepsItsIssueDayAndFollowsOn) {
  const CertificatePeriod current{absl::CivilDay(2025, 10, 1), absl::CivilDay(2026, 4, 1), std::nullopt};
  ASSERT_OK_AND_ASSIGN(CertificatePeriod renewed, Renew(current, absl::CivilDay(2026, 3, 1), 6));
  EXPECT_EQ(renewed.issued_on, absl::CivilDay(2025, 10, 1));
  EXPECT_EQ(renewed.expires_on, absl::CivilDay(2026, 10, 1));
  // A refresher on the issue day itself is still one after the certificate was earned.
  ASSERT_OK_AND_ASSIGN(renewed, Renew(current, absl::CivilDay(2025, 10, 1), 6));
  EXPECT_EQ(renewed.issued_on, absl::CivilDay(2025, 10, 1));
}

TEST(Renew, OnOrAfterItsExpiryDay_NewPeriodFromTheRenewalDay_LapseNotCovered) {
  const CertificatePeriod current{absl::CivilDay(2025, 3, 8), absl::CivilDay(2025, 9, 8), std::nullopt};
  ASSERT_OK_AND_ASSIGN(CertificatePeriod renewed, Renew(current, absl::CivilDay(2025, 10, 1), 6));
  EXPECT_EQ(renewed.issued_on, absl::CivilDay(2025, 10, 1));
  EXPECT_EQ(renewed.expires_on, absl::CivilDay(2026, 4, 1));
  // On the expiry day it had run out that morning: a new period too.
  ASSERT_OK_AND_ASSIGN(renewed, Renew(current, absl::CivilDay(2025, 9, 8), 1));
  EXPECT_EQ(renewed.issued_on, absl::CivilDay(2025, 9, 8));
  EXPECT_EQ(renewed.expires_on, absl::CivilDay(2025, 10, 8));
}

TEST(Renew, RefresherBeforeTheIssueDay_InvalidArgumentNamingRenewedOn) {
  const CertificatePeriod current{absl::CivilDay(2025, 3, 8), absl::CivilDay(2025, 9, 8), std::nullopt};
  const absl::StatusOr<CertificatePeriod> renewed = Renew(current, absl::CivilDay(2025, 3, 7), 6);
  EXPECT_EQ(renewed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(renewed.status()), "renewed_on");
}

TEST(Renew, TheSameOrAnEarlierRefresherAgain_AlreadyExists_ALaterOneRenews) {
  CertificatePeriod current{absl::CivilDay(2025, 10, 1), absl::CivilDay(2026, 10, 1),
                            absl::CivilDay(2026, 3, 1)};
  EXPECT_EQ(Renew(current, absl::CivilDay(2026, 3, 1), 6).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Renew(current, absl::CivilDay(2026, 2, 1), 6).status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_OK_AND_ASSIGN(CertificatePeriod renewed, Renew(current, absl::CivilDay(2026, 9, 1), 6));
  EXPECT_EQ(renewed.expires_on, absl::CivilDay(2027, 4, 1));
  EXPECT_EQ(renewed.renewed_on, absl::CivilDay(2026, 9, 1));
}

// A renewal rests on the holder's own attended refresher in the certificate's course, on the day it names;
// each way of missing that is refused, and the refresher that renewed this certificate already is left to
// Renew (which answers ALREADY_EXISTS).
TEST(CheckRefresher, TheHoldersAttendedRefresherOfTheCourseOnItsDay) {
  const RenewedCertificate cert{"cert-1", "p-1", "course-1"};
  const absl::CivilDay day(2026, 3, 1);
  const Refresher good{"p-1", "course-1", true, false, "", day};
  EXPECT_TRUE(CheckRefresher(good, cert, day).ok());
  Refresher r = good;
  r.renewed_certification_id = "cert-1";
  EXPECT_TRUE(CheckRefresher(r, cert, day).ok());
  struct Case {
    const char* what;
    void (*change)(Refresher&);
    absl::StatusCode code;
  };
  const Case cases[] = {
      {"someone else's", [](Refresher& x) { x.participant_id = "p-2"; },
       absl::StatusCode::kFailedPrecondition},
      {"another course's", [](Refresher& x) { x.course_id = "course-2"; },
       absl::StatusCode::kFailedPrecondition},
      {"not attended", [](Refresher& x) { x.attended = false; }, absl::StatusCode::kFailedPrecondition},
      {"issued its own", [](Refresher& x) { x.issued_certificate = true; },
       absl::StatusCode::kFailedPrecondition},
      {"renewed another", [](Refresher& x) { x.renewed_certification_id = "cert-2"; },
       absl::StatusCode::kFailedPrecondition},
      {"another day", [](Refresher& x) { x.day = x.day - 1; }, absl::StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    Refresher bad = good;
    c.change(bad);
    EXPECT_EQ(CheckRefresher(bad, cert, day).code(), c.code) << c.what;
  }
  EXPECT_EQ(FieldOf(CheckRefresher(good, cert, day + 1)), "renewed_on");
}

TEST(StatusOn, ExpiredFromItsExpiryDay_RevokedWhatever) {
  const absl::CivilDay expires(2026, 3, 8);
  EXPECT_EQ(StatusOn(false, expires, absl::CivilDay(2026, 3, 7)), v1::CERTIFICATION_STATUS_VALID);
  EXPECT_EQ(StatusOn(false, expires, absl::CivilDay(2026, 3, 8)), v1::CERTIFICATION_STATUS_EXPIRED);
  EXPECT_EQ(StatusOn(true, expires, absl::CivilDay(2025, 1, 1)), v1::CERTIFICATION_STATUS_REVOKED);
}

TEST(MayRenewOrRevoke, RevokedCertificate_FailedPrecondition) {
  EXPECT_TRUE(MayRenew(false).ok());
  EXPECT_EQ(MayRenew(true).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(MayRevoke(false).ok());
  EXPECT_EQ(MayRevoke(true).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace shouhu::training
