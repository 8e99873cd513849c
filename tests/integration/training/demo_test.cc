// deploy/local/demo/training_demo: seeds through the API, idempotently, and leaves qualified volunteers.
#include "deploy/local/demo/training_demo.h"
#include "tests/integration/training/training_test_fixture.h"

namespace shouhu::training {
namespace {

TEST_F(TrainingTest, SeedTrainingDemo_RunTwice_SameDataAndQualifiedVolunteers) {
  clock_->Set(absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), ShanghaiTimeZone()));
  ASSERT_OK(SeedTrainingDemo(channel_, *signer_));
  const int64_t participants = database_->Count("participants");
  const int64_t certifications = database_->Count("certifications");
  const int64_t events = database_->Count("outbox_events");
  EXPECT_EQ(participants, 4 * 5 + 1);
  ASSERT_OK(SeedTrainingDemo(channel_, *signer_));
  EXPECT_EQ(database_->Count("participants"), participants);
  EXPECT_EQ(database_->Count("certifications"), certifications);
  EXPECT_EQ(database_->Count("outbox_events"), events);

  // Every county has exactly two volunteers qualified for home visits (two adults a household); Wuyi's NGO
  // qualification has lapsed.
  for (const std::string county : {"532329", "640105", "330723", "331081"}) {
    v1::ListParticipantsRequest list;
    list.set_division_prefix(county);
    list.set_kind(v1::PARTICIPANT_KIND_VOLUNTEER);
    v1::ListParticipantsResponse people;
    ASSERT_TRUE(Call(&Stub::ListParticipants, System(), list, &people).ok());
    v1::BatchCheckQualificationRequest batch;
    for (const auto& p : people.participants()) batch.add_participant_ids(p.id());
    batch.set_activity(v1::ACTIVITY_HOME_VISIT);
    batch.set_date("2026-12-05");
    v1::BatchCheckQualificationResponse answers;
    ASSERT_TRUE(Call(&Stub::BatchCheckQualification, System(), batch, &answers).ok());
    int qualified = 0;
    bool lapsed = false;
    for (const auto& r : answers.results()) {
      qualified += r.qualified();
      for (const auto& reason : r.reasons()) {
        lapsed |= reason.reason() == v1::QUALIFICATION_REASON_ORGANISATION_QUALIFICATION_LAPSED;
      }
    }
    EXPECT_EQ(qualified, county == "330723" ? 0 : 2) << county;
    EXPECT_EQ(lapsed, county == "330723") << county;
  }
}

}  // namespace
}  // namespace shouhu::training
