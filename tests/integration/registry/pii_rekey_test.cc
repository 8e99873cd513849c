// The PII key rotation's re-encryption (services/registry/pii_rekey.h) against a real schema: after it, the
// registry serves the same resident IDs under the new keys only, the lookup hash is the new key's, a second
// run changes nothing, and a value under neither key stops it with DATA_LOSS that names no value.
#include "services/registry/pii_rekey.h"

#include "tests/integration/registry/registry_fixture.h"
#include "tests/support/sealed_columns.h"

namespace shouhu::registry::testing {
namespace {

using ::shouhu::testing::StatusIs;

constexpr char kResidentId[] = "532329201506071232";

class PiiRekeyTest : public RegistryTest {
 protected:
  // The registry process again, on the same schema, with other PII keys: what a rollout after the Job does.
  void ServeWithKeys(const std::string& seal, const std::string& lookup) {
    server_.reset();
    module_.reset();
    RegistryConfig config;
    config.pii_seal_key = seal;
    config.pii_lookup_key = lookup;
    const ServiceContext context{service_config_, database_->pool(), clock_,    *ids_,   logger_,
                                 metrics_,        *verifier_,        identity_, workers_};
    ASSERT_OK_AND_ASSIGN(module_, RegistryModule::Create(context, config));
    server_ =
        std::make_unique<shouhu::testing::TestServer>(std::vector<std::pair<grpc::Service*, std::string>>{
            {&module_->service(), kRegistryServiceName},
            {&module_->cooperation_service(), kCooperationServiceName}});
    stub_ = v1::RegistryService::NewStub(server_->channel());
    cooperation_stub_ = v1::CaseCooperationService::NewStub(server_->channel());
  }

  absl::StatusOr<std::string> ResidentIdAsOfficer(const std::string& child_id) {
    v1::GetChildRequest request;
    request.set_child_id(child_id);
    request.set_purpose("key rotation check");
    ASSIGN_OR_RETURN(auto answer, Call(&v1::RegistryService::Stub::GetChild, wuding_officer_, request));
    return answer.child().resident_id();
  }

  // The child's stored lookup hash, read straight from its row.
  std::string StoredHash(const std::string& child_id) {
    std::string hash;
    EXPECT_OK(database_->pool().Autocommit([&](db::Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(auto row,
                       session.QueryOne("SELECT resident_id_hash FROM children WHERE id = ?", {child_id}));
      if (!row) return absl::NotFoundError("no child row");
      hash = row->String(0);
      return absl::OkStatus();
    }));
    return hash;
  }

  const std::string old_seal_ = std::string(32, 'k');  // the fixture's keys
  const std::string old_lookup_ = std::string(32, 'h');
  const std::string new_seal_ = std::string(32, 'K');
  const std::string new_lookup_ = std::string(32, 'H');
};

TEST_F(PiiRekeyTest, Rekey_ChildAndReferral_ServedUnderTheNewKeysOnly_AndASecondRunChangesNothing) {
  ASSERT_OK_AND_ASSIGN(auto referral,
                       Submit(wuding_caseworker_, Referral("r1", "张小明", "2015-06-07", kResidentId)));
  ASSERT_OK_AND_ASSIGN(v1::Case c, Accept(wuding_officer_, "a1", referral.referral_id()));
  ASSERT_OK_AND_ASSIGN(PiiCrypto from, PiiCrypto::Create(old_seal_, old_lookup_));
  ASSERT_OK_AND_ASSIGN(PiiCrypto to, PiiCrypto::Create(new_seal_, new_lookup_));
  ASSERT_EQ(StoredHash(c.child_id()), from.LookupHash(kResidentId));

  // One row per chunk, so the walk over chunks and tables is exercised too.
  ASSERT_OK_AND_ASSIGN(RekeySummary first, RekeyResidentIds(database_->pool(), from, to, /*chunk_rows=*/1));
  EXPECT_EQ(first.rekeyed, 2);  // the referral's and the child's
  EXPECT_EQ(first.already_current, 0);
  EXPECT_EQ(StoredHash(c.child_id()), to.LookupHash(kResidentId));

  ServeWithKeys(new_seal_, new_lookup_);
  ASSERT_OK_AND_ASSIGN(std::string served, ResidentIdAsOfficer(c.child_id()));
  EXPECT_EQ(served, kResidentId);
  ServeWithKeys(old_seal_, old_lookup_);
  EXPECT_FALSE(ResidentIdAsOfficer(c.child_id()).ok());

  ASSERT_OK_AND_ASSIGN(RekeySummary second, RekeyResidentIds(database_->pool(), from, to));
  EXPECT_EQ(second.rekeyed, 0);
  EXPECT_EQ(second.already_current, 2);
}

TEST_F(PiiRekeyTest, Rekey_ValueUnderNeitherKey_StopsWithDataLoss_NamingTheRowNotTheValue) {
  ASSERT_OK_AND_ASSIGN(auto referral,
                       Submit(wuding_caseworker_, Referral("r1", "张小明", "2015-06-07", kResidentId)));
  ASSERT_OK_AND_ASSIGN(PiiCrypto wrong, PiiCrypto::Create(std::string(32, 'x'), std::string(32, 'y')));
  ASSERT_OK_AND_ASSIGN(PiiCrypto to, PiiCrypto::Create(new_seal_, new_lookup_));

  absl::StatusOr<RekeySummary> result = RekeyResidentIds(database_->pool(), wrong, to);
  ASSERT_THAT(result, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_NE(result.status().message().find(referral.referral_id()), std::string::npos);
  EXPECT_EQ(result.status().message().find(kResidentId), std::string::npos);
  EXPECT_EQ(result.status().message().find("201506071232"), std::string::npos);
}

// A mandatory report's reporter is sealed as "subject\norganisation" but found by the hash of the subject
// alone: after the rotation the reporter still finds their report, and an auditor still unseals who it was.
TEST_F(PiiRekeyTest, Rekey_MandatoryReport_ReporterStillFindsItAndAuditorStillUnsealsIt) {
  const Principal school = shouhu::testing::MakePrincipal("nurse-zhang", "wuding-no1-school",
                                                          common::v1::ROLE_MANDATED_REPORTER, {"532329"});
  v1::FileMandatoryReportRequest report;
  report.set_request_id("f1");
  report.set_institution_kind(v1::INSTITUTION_KIND_SCHOOL);
  report.set_village_code(kWudingVillage);
  report.set_child_name("王小明");
  report.set_child_resident_id(kResidentId);
  report.set_harm_kind(v1::HARM_KIND_PHYSICAL_ABUSE);
  report.set_description("学生手臂多处淤青");
  report.set_urgency(v1::REPORT_URGENCY_OTHER);
  ASSERT_OK_AND_ASSIGN(auto filed,
                       Cooperate(&v1::CaseCooperationService::Stub::FileMandatoryReport, school, report));
  ASSERT_OK_AND_ASSIGN(PiiCrypto from, PiiCrypto::Create(old_seal_, old_lookup_));
  ASSERT_OK_AND_ASSIGN(PiiCrypto to, PiiCrypto::Create(new_seal_, new_lookup_));
  ASSERT_OK_AND_ASSIGN(RekeySummary rekeyed, RekeyResidentIds(database_->pool(), from, to));
  EXPECT_EQ(rekeyed.rekeyed, 2);  // the reporter and the child's resident ID

  ServeWithKeys(new_seal_, new_lookup_);
  ASSERT_OK_AND_ASSIGN(auto mine, Cooperate(&v1::CaseCooperationService::Stub::ListMyMandatoryReports, school,
                                            v1::ListMyMandatoryReportsRequest()));
  ASSERT_EQ(mine.reports_size(), 1);
  EXPECT_EQ(mine.reports(0).report_id(), filed.report().report_id());
  v1::UnsealMandatoryReporterRequest unseal;
  unseal.set_report_id(filed.report().report_id());
  unseal.set_purpose("key rotation check");
  ASSERT_OK_AND_ASSIGN(
      auto reporter, Cooperate(&v1::CaseCooperationService::Stub::UnsealMandatoryReporter, auditor_, unseal));
  EXPECT_EQ(reporter.reporter_subject(), "nurse-zhang");
  EXPECT_EQ(reporter.reporter_organisation_id(), "wuding-no1-school");
}

// A sealed column left out of the rotation would stay under a retired key, and the registry could no longer
// open it: every *_sealed column of the schema must be in RegistrySealedColumns.
TEST_F(PiiRekeyTest, EverySealedColumnOfTheSchema_IsInTheRotation) {
  ASSERT_OK_AND_ASSIGN(shouhu::testing::TableColumns in_schema,
                       shouhu::testing::SealedColumnsOfSchema(database_->pool()));
  EXPECT_FALSE(in_schema.empty());
  EXPECT_EQ(in_schema, shouhu::testing::Listed(RegistrySealedColumns()));
}

}  // namespace
}  // namespace shouhu::registry::testing
