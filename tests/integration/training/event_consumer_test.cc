// common/event_consumer.h against the real training service's StreamEvents: the generic stream shape holds
// for a real service, and each event's effect lands once, in order, in the consumer's own schema.
#include "common/event_consumer.h"

#include "absl/time/clock.h"
#include "tests/integration/training/training_test_fixture.h"

namespace shouhu::training {
namespace {

std::vector<db::Migration> Effects() {
  return {{"consumer", 1, "0001_effects",
           "CREATE TABLE effects (sequence BIGINT NOT NULL, event_type VARCHAR(128) NOT NULL,"
           " KEY effects_sequence (sequence)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"}};
}

TEST_F(TrainingTest, EventConsumer_FollowingTheTrainingStream_AppliesEachEventOnceInOrder) {
  v1::Participant p = RegisterVolunteer();
  Activate(p.id());
  RecordCheck(p.id(), v1::BACKGROUND_CHECK_STATUS_CLEARED, "2025-01-01", "2028-01-01");
  ASSERT_OK_AND_ASSIGN(auto consumer_db, testing::TestDatabase::Create(Effects()));

  EventConsumerOptions options;
  options.name = "visits-from-training";
  options.method = "/shouhu.training.v1.TrainingService/StreamEvents";
  options.channel = channel_;
  options.identify = [this](grpc::ClientContext& context) { signer_->Attach(System(), context); };
  options.min_backoff = absl::Milliseconds(10);
  EventConsumer consumer(consumer_db->pool(), *metrics_, *logger_, options,
                         [](db::Session& tx, const common::v1::Event& event) {
                           return tx
                               .Execute("INSERT INTO effects (sequence, event_type) VALUES (?, ?)",
                                        {event.sequence(), event.type()})
                               .status();
                         });
  consumer.Start();
  MoveTo(p.id(), v1::VOLUNTEER_STAGE_SUSPENDED);  // committed while the consumer follows
  const int64_t last = static_cast<int64_t>(Events().size());
  ASSERT_GE(last, 3);
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  while (consumer.Checkpoint().value_or(0) < last && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(10));
  consumer.Stop();

  std::vector<std::pair<int64_t, std::string>> applied;
  ASSERT_OK(consumer_db->pool().Autocommit([&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     session.Query("SELECT sequence, event_type FROM effects ORDER BY sequence"));
    for (const db::Row& row : rows) applied.emplace_back(row.Int(0), row.String(1));
    return absl::OkStatus();
  }));
  std::vector<std::pair<int64_t, std::string>> expected;
  for (const common::v1::Event& event : Events()) expected.emplace_back(event.sequence(), event.type());
  EXPECT_EQ(applied, expected);
  EXPECT_EQ(applied.back().second, "shouhu.training.v1.VolunteerSuspended");
}

}  // namespace
}  // namespace shouhu::training
