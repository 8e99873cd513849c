#include "tests/integration/allowance/monthly_fixture.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace shouhu::allowance::testing {

void MonthlyAllowanceTest::SetUp() {
  RegistryTest::SetUp();
  if (HasFatalFailure()) return;
  ASSERT_OK_AND_ASSIGN(allowance_database_, shouhu::testing::TestDatabase::Create(AllowanceMigrations(), 8));
  allowance_ids_ = std::make_unique<IdGenerator>(clock_);
  StartAllowance();
}

void MonthlyAllowanceTest::TearDown() {
  StopAllowance();
  allowance_database_.reset();
  RegistryTest::TearDown();
}

void MonthlyAllowanceTest::StartAllowance() {
  AllowanceConfig config;
  config.registry_address = absl::StrCat("127.0.0.1:", server_->port());
  config.training_address = "127.0.0.1:1";  // the fake below answers
  config.payment_retry_interval = absl::ZeroDuration();
  config.cycles.roster_poll = absl::ZeroDuration();  // the tests run the job
  config.cycles.follow_registry = true;
  config.cycles.verification_seed = kTestSeed;
  config.cycles.verification_share_ppm = kTestSharePpm;
  const ServiceContext context{
      service_config_, allowance_database_->pool(), clock_,  *allowance_ids_, logger_, metrics_,
      *verifier_,      allowance_identity_,         workers_};
  auto training = std::make_unique<shouhu::testing::FakeTrainingClient>();
  training->SetQualified("ngo-wuding", true);
  ASSERT_OK_AND_ASSIGN(allowance_, AllowanceModule::Create(context, config, nullptr, std::move(training)));
  allowance_server_ = std::make_unique<shouhu::testing::TestServer>(
      std::vector<std::pair<grpc::Service*, std::string>>{{&allowance_->service(), kAllowanceServiceName}});
  allowance_stub_ = v1::AllowanceService::NewStub(allowance_server_->channel());
}

void MonthlyAllowanceTest::StopAllowance() {
  allowance_server_.reset();
  allowance_.reset();
}

std::string MonthlyAllowanceTest::MonthText(absl::CivilMonth m) {
  return absl::StrFormat("%04d-%02d", m.year(), m.month());
}

absl::CivilMonth MonthlyAllowanceTest::ThisMonth() const {
  return absl::CivilMonth(ShanghaiDay(absl::Now()));
}

absl::CivilMonth MonthlyAllowanceTest::NextPaidDecember() const {
  absl::CivilMonth december(ThisMonth().year(), 12);
  if (december < ThisMonth() + 2) december = absl::CivilMonth(december.year() + 1, 12);
  return december;
}

MonthlyAllowanceTest::County MonthlyAllowanceTest::Wuding() const {
  return {"532329", "wuding-civil-affairs", wuding_officer_, ngo_admin_, wuding_caseworker_};
}

MonthlyAllowanceTest::County MonthlyAllowanceTest::Xixia() const {
  return {"640105", "xixia-civil-affairs", xixia_officer_,
          shouhu::testing::MakePrincipal("admin-xixia", "ngo-wuding", common::v1::ROLE_NGO_ADMIN, {"640105"}),
          shouhu::testing::MakePrincipal("caseworker-xixia", "ngo-wuding", common::v1::ROLE_NGO_CASEWORKER,
                                         {"640105"})};
}

std::string MonthlyAllowanceTest::FundedProgramIn(const County& county, const std::string& tag) {
  return FundedProgram(tag, 100'000'000, 0, {}, county);
}

std::string MonthlyAllowanceTest::FundedProgram(const std::string& tag, int64_t budget_fen,
                                                int64_t year_cap_fen,
                                                const std::vector<rv1::ChildCategory>& also_eligible) {
  return FundedProgram(tag, budget_fen, year_cap_fen, also_eligible, Wuding());
}

std::string MonthlyAllowanceTest::FundedProgram(const std::string& tag, int64_t budget_fen,
                                                int64_t year_cap_fen,
                                                const std::vector<rv1::ChildCategory>& also_eligible,
                                                const County& county) {
  v1::ProposeProgramRequest propose;
  propose.set_request_id("propose-" + tag);
  v1::Program* p = propose.mutable_program();
  p->set_name("武定县困境儿童基本生活保障 " + tag);
  p->set_plan("按月发放基本生活费，遇急难情况临时救助");
  p->set_target_group("事实无人抚养儿童和孤儿");
  p->set_jurisdiction(county.jurisdiction);
  p->set_funder_organisation_id(county.funder_organisation_id);
  p->set_budget_fen(budget_fen);
  const absl::CivilDay today = ShanghaiDay(absl::Now());
  p->set_period_start(absl::FormatCivilTime(absl::CivilDay(today.year(), 1, 1)));
  p->set_period_end(absl::FormatCivilTime(absl::CivilDay(today.year() + 2, 12, 31)));
  p->add_allowed_types(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
  p->add_allowed_types(v1::ALLOWANCE_TYPE_EMERGENCY_RELIEF);
  p->add_eligible_categories(rv1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED);
  p->add_eligible_categories(rv1::CHILD_CATEGORY_ORPHAN);
  for (rv1::ChildCategory category : also_eligible) p->add_eligible_categories(category);
  p->set_per_payment_cap_fen(std::min<int64_t>(200'000, budget_fen));
  p->set_per_child_year_cap_fen(year_cap_fen > 0 ? year_cap_fen : std::min<int64_t>(5'000'000, budget_fen));
  p->set_second_approval_threshold_fen(std::min<int64_t>(1'000'000, budget_fen));
  auto proposed = Ask(&v1::AllowanceService::Stub::ProposeProgram, county.admin, propose);
  EXPECT_OK(proposed);
  if (!proposed.ok()) return "";
  const std::string id = proposed->program().program_id();
  v1::AssessProgramRequest assess;
  assess.set_request_id("assess-" + tag);
  assess.set_program_id(id);
  auto* score = assess.add_scores();
  score->set_criterion("plan");
  score->set_score(88);
  assess.set_reviewer("县民政局评审组");
  assess.set_accept(true);
  EXPECT_OK(Ask(&v1::AllowanceService::Stub::AssessProgram, county.officer, assess));
  v1::FundProgramRequest fund;
  fund.set_request_id("fund-" + tag);
  fund.set_program_id(id);
  EXPECT_OK(Ask(&v1::AllowanceService::Stub::FundProgram, county.officer, fund));
  return id;
}

rv1::Case MonthlyAllowanceTest::ActiveChild(const std::string& tag, const std::string& birth_date,
                                            rv1::ChildCategory category) {
  rv1::SubmitReferralRequest referral = Referral("submit-" + tag, "李小" + tag, birth_date);
  referral.clear_categories();
  referral.add_categories(category);
  auto submitted = Submit(wuding_officer_, referral);
  EXPECT_OK(submitted);
  if (!submitted.ok()) return {};
  auto accepted = Accept(wuding_officer_, "accept-" + tag, submitted->referral_id());
  EXPECT_OK(accepted);
  if (!accepted.ok()) return {};
  rv1::CompleteVerificationRequest verify;
  verify.set_request_id("verify-" + tag);
  verify.set_case_id(accepted->case_id());
  verify.set_note("核实属实");
  EXPECT_OK(Call(&rv1::RegistryService::Stub::CompleteVerification, wuding_officer_, verify));
  return *accepted;
}

std::string MonthlyAllowanceTest::Enrol(const std::string& tag, const std::string& program_id,
                                        const std::string& child_id, int64_t amount_fen) {
  return EnrolIn(Wuding(), tag, program_id, child_id, amount_fen);
}

std::string MonthlyAllowanceTest::EnrolIn(const County& county, const std::string& tag,
                                          const std::string& program_id, const std::string& child_id,
                                          int64_t amount_fen) {
  v1::SubmitApplicationRequest submit;
  submit.set_request_id("apply-" + tag);
  submit.set_program_id(program_id);
  submit.set_child_id(child_id);
  submit.set_type(v1::ALLOWANCE_TYPE_MONTHLY_BASIC_LIVING);
  submit.set_amount_fen(amount_fen);
  submit.set_reason("事实无人抚养，按月发放基本生活费");
  auto submitted = Ask(&v1::AllowanceService::Stub::SubmitApplication, county.caseworker, submit);
  EXPECT_OK(submitted);
  if (!submitted.ok()) return "";
  v1::ApproveApplicationRequest approve;
  approve.set_request_id("approve-" + tag);
  approve.set_application_id(submitted->application().application_id());
  auto approved = Ask(&v1::AllowanceService::Stub::ApproveApplication, county.admin, approve);
  EXPECT_OK(approved);
  if (approved.ok()) {
    EXPECT_EQ(approved->application().state(), v1::APPLICATION_STATE_APPROVED);
  }
  return submitted->application().application_id();
}

void MonthlyAllowanceTest::AwaitRegistryEvents() {
  EventConsumer* consumer = allowance_->cycles().registry_consumer();
  ASSERT_NE(consumer, nullptr);
  AwaitRegistryEvents(*consumer);
}

void MonthlyAllowanceTest::AwaitRegistryEvents(EventConsumer& consumer) {
  const std::vector<common::v1::Event> published = Events();
  ASSERT_FALSE(published.empty());
  const int64_t last = published.back().sequence();
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  while (consumer.Checkpoint().value_or(0) < last && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_OK_AND_ASSIGN(int64_t checkpoint, consumer.Checkpoint());
  ASSERT_EQ(checkpoint, last);
}

absl::StatusOr<v1::MonthlyCycle> MonthlyAllowanceTest::CycleOf(const std::string& program_id,
                                                               absl::CivilMonth month) {
  return CycleOf(program_id, month, ngo_admin_);
}

absl::StatusOr<v1::MonthlyCycle> MonthlyAllowanceTest::CycleOf(const std::string& program_id,
                                                               absl::CivilMonth month, const Principal& as) {
  v1::ListMonthlyCyclesRequest request;
  request.set_program_id(program_id);
  ASSIGN_OR_RETURN(v1::ListMonthlyCyclesResponse response,
                   Ask(&v1::AllowanceService::Stub::ListMonthlyCycles, as, request));
  for (const v1::MonthlyCycle& c : response.cycles()) {
    if (c.month() == MonthText(month)) return c;
  }
  return absl::NotFoundError("no cycle for the month");
}

std::vector<v1::RosterLine> MonthlyAllowanceTest::Lines(const std::string& cycle_id) {
  return Lines(cycle_id, ngo_admin_);
}

std::vector<v1::RosterLine> MonthlyAllowanceTest::Lines(const std::string& cycle_id, const Principal& as) {
  std::vector<v1::RosterLine> lines;
  v1::ListRosterLinesRequest request;
  request.set_cycle_id(cycle_id);
  request.set_page_size(2);  // several pages, so paging is exercised
  for (;;) {
    auto page = Ask(&v1::AllowanceService::Stub::ListRosterLines, as, request);
    EXPECT_OK(page);
    if (!page.ok()) return lines;
    for (const v1::RosterLine& l : page->lines()) lines.push_back(l);
    if (page->next_page_token().empty()) return lines;
    request.set_page_token(page->next_page_token());
  }
}

std::vector<std::string> MonthlyAllowanceTest::LineRows() {
  std::vector<std::string> rows;
  EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::Rows result,
        s.Query("SELECT cycle_id, enrolment_id, program_id, month, child_id, division_code, kind,"
                " outcome, amount_fen, replaced_by, school_evidence_ref, payable_child_id"
                " FROM monthly_roster_lines ORDER BY cycle_id, enrolment_id"));
    for (const db::Row& row : result) {
      std::vector<std::string> cells;
      for (size_t i = 0; i < row.size(); ++i) cells.push_back(row.OptString(i).value_or("NULL"));
      rows.push_back(absl::StrJoin(cells, "|"));
    }
    return absl::OkStatus();
  }));
  return rows;
}

int64_t MonthlyAllowanceTest::AllowanceEvents(const std::string& type) {
  int64_t count = -1;
  EXPECT_OK(allowance_database_->pool().Autocommit([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     s.QueryOne("SELECT COUNT(*) FROM outbox_events WHERE event_type = ?", {type}));
    count = row ? row->Int(0) : 0;
    return absl::OkStatus();
  }));
  return count;
}

void MonthlyAllowanceTest::ExpectReconciles(const std::string& program_id) {
  ASSERT_OK_AND_ASSIGN(ReconcileResult reconciled,
                       allowance_->store().ReconcileProgram(program_id, absl::Now()));
  EXPECT_TRUE(reconciled.reconciliation.balanced) << absl::StrJoin(reconciled.reconciliation.problems, "; ");
}

}  // namespace shouhu::allowance::testing
