// The PII key rotation of the visits service (services/visits/pii_rekey.h, common/pii_rekey.h) against its
// real schema: after the re-encryption, visits started with the new keys reads a concern's account and review
// note as they were written; a second run changes nothing; and every sealed column of the schema is in the
// rotation's list, so a column added later cannot be left under a retired key unnoticed.
#include "services/visits/pii_rekey.h"

#include "tests/integration/visits/training_backed_fixture.h"
#include "tests/support/sealed_columns.h"

namespace shouhu::visits::testing {
namespace {

class VisitsPiiRekeyTest : public VisitsCallsTest {};

TEST_F(VisitsPiiRekeyTest, Rekey_ConcernsReadTheSameUnderTheNewKeys_SecondRunChangesNothing) {
  auto registered = Register(wuding_ngo_admin_, Registration("reg-a"));
  ASSERT_OK(registered.status());
  training_->SetQualified(registered->participant_id(), true);
  ASSERT_OK_AND_ASSIGN(v1::RaiseSafeguardingConcernResponse reviewed_one,
                       Raise(wuding_caseworker_, Concern("concern-1", registered->visitor_id())));
  ASSERT_OK(ReviewConcern(wuding_lead_, "review-1", reviewed_one.concern_id(), v1::CONCERN_DECISION_UPHOLD)
                .status());
  ASSERT_OK_AND_ASSIGN(v1::RaiseSafeguardingConcernResponse open_one,
                       Raise(wuding_caseworker_, Concern("concern-2", registered->visitor_id())));
  ASSERT_OK_AND_ASSIGN(v1::SafeguardingConcern before, GetConcern(wuding_lead_, reviewed_one.concern_id()));
  ASSERT_FALSE(before.review_note().empty());

  ASSERT_OK_AND_ASSIGN(PiiCrypto from, PiiCrypto::Create(pii_seal_key_, pii_lookup_key_));
  ASSERT_OK_AND_ASSIGN(PiiCrypto to, PiiCrypto::Create(std::string(32, 'S'), std::string(32, 'L')));
  ASSERT_OK_AND_ASSIGN(RekeySummary first,
                       RekeySealedColumns(visits_database_->pool(), VisitsSealedColumns(), from, to, 1));
  EXPECT_EQ(first.rekeyed, 3);  // two accounts, one review note (the open concern has none)
  EXPECT_EQ(first.already_current, 0);
  ASSERT_OK_AND_ASSIGN(RekeySummary second,
                       RekeySealedColumns(visits_database_->pool(), VisitsSealedColumns(), from, to));
  EXPECT_EQ(second.rekeyed, 0);
  EXPECT_EQ(second.already_current, 3);

  // The rollout after the Job: visits with the new keys only.
  StopVisits();
  pii_seal_key_ = std::string(32, 'S');
  pii_lookup_key_ = std::string(32, 'L');
  StartVisits();
  ASSERT_OK_AND_ASSIGN(v1::SafeguardingConcern after, GetConcern(wuding_lead_, reviewed_one.concern_id()));
  EXPECT_EQ(after.account(), before.account());
  EXPECT_EQ(after.review_note(), before.review_note());
  ASSERT_OK_AND_ASSIGN(v1::SafeguardingConcern other, GetConcern(wuding_lead_, open_one.concern_id()));
  EXPECT_EQ(other.account(), Concern("x", "y").account());
}

TEST_F(VisitsPiiRekeyTest, EverySealedColumnOfTheSchema_IsInTheRotation) {
  ASSERT_OK_AND_ASSIGN(shouhu::testing::TableColumns in_schema,
                       shouhu::testing::SealedColumnsOfSchema(visits_database_->pool()));
  EXPECT_FALSE(in_schema.empty());
  EXPECT_EQ(in_schema, shouhu::testing::Listed(VisitsSealedColumns()));
}

}  // namespace
}  // namespace shouhu::visits::testing
