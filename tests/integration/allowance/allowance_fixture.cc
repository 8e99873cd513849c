#include "tests/integration/allowance/allowance_fixture.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/clock.h"

namespace shouhu::allowance::testing {

void AllowanceTest::SetUp() {
  RegistryTest::SetUp();
  if (HasFatalFailure()) return;
  ASSERT_OK_AND_ASSIGN(training_database_, shouhu::testing::TestDatabase::Create(TrainingMigrations(), 8));
  training_ids_ = std::make_unique<IdGenerator>(clock_);
  const ServiceContext training_context{
      service_config_, training_database_->pool(), clock_,  *training_ids_, logger_, metrics_,
      *verifier_,      training_identity_,         workers_};
  training::TrainingConfig training_config;
  training_config.expiry_sweep_interval = absl::ZeroDuration();
  ASSERT_OK_AND_ASSIGN(training_, training::TrainingModule::Create(training_context, training_config));
  training_server_ =
      std::make_unique<shouhu::testing::TestServer>(std::vector<std::pair<grpc::Service*, std::string>>{
          {&training_->service(), training::kTrainingServiceName}});

  ASSERT_OK_AND_ASSIGN(allowance_database_, shouhu::testing::TestDatabase::Create(AllowanceMigrations(), 24));
  allowance_ids_ = std::make_unique<IdGenerator>(allowance_clock_);
  allowance_config_.registry_address = absl::StrCat("127.0.0.1:", server_->port());
  allowance_config_.training_address = absl::StrCat("127.0.0.1:", training_server_->port());
  allowance_config_.payment_retry_interval = absl::ZeroDuration();  // the tests resend by hand
  allowance_config_.max_payment_attempts = 3;
  StartAllowance();
  QualifyOrganisation("ngo-wuding", true);
}

void AllowanceTest::TearDown() {
  StopAllowance();
  allowance_database_.reset();
  training_server_.reset();
  training_.reset();
  training_database_.reset();
  RegistryTest::TearDown();
}

void AllowanceTest::StartAllowance() {
  const ServiceContext context{
      service_config_, allowance_database_->pool(), allowance_clock_, *allowance_ids_, logger_, metrics_,
      *verifier_,      allowance_identity_,         workers_};
  ASSERT_OK_AND_ASSIGN(allowance_, AllowanceModule::Create(context, allowance_config_));
  allowance_server_ = std::make_unique<shouhu::testing::TestServer>(
      std::vector<std::pair<grpc::Service*, std::string>>{{&allowance_->service(), kAllowanceServiceName}},
      std::vector<std::function<void()>>{[module = allowance_.get()] { module->Drain(); }});
  allowance_stub_ = v1::AllowanceService::NewStub(allowance_server_->channel());
}

void AllowanceTest::StopAllowance() {
  allowance_stub_.reset();
  allowance_server_.reset();
  allowance_.reset();
}

void AllowanceTest::QualifyOrganisation(const std::string& organisation_id, bool current) {
  training::v1::RecordOrganisationQualificationRequest request;
  request.set_request_id(absl::StrCat("qualify-", organisation_id, current ? "-current" : "-lapsed"));
  training::v1::OrganisationQualification* q = request.mutable_qualification();
  q->set_organisation_id(organisation_id);
  q->set_organisation_name("武定县社会工作服务中心");
  q->set_division_code("532329");
  q->set_registration_number("52532329MJ0000000X");
  q->set_grade(training::v1::ASSESSMENT_GRADE_4A);
  q->set_assessed_by("武定县民政局");
  const int year = static_cast<int>(ShanghaiDay(absl::Now()).year());
  q->set_assessed_on(current ? "2020-01-01" : absl::StrCat(year - 3, "-01-01"));
  q->set_expires_on(current ? "2099-12-31" : absl::StrCat(year - 1, "-01-01"));
  auto stub = training::v1::TrainingService::NewStub(training_server_->channel());
  training::v1::RecordOrganisationQualificationResponse response;
  auto context = principals_.Context(wuding_officer_);
  grpc::Status status = stub->RecordOrganisationQualification(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

std::string AllowanceTest::ActiveChild(const std::string& tag, const std::string& village) {
  rv1::Case accepted = RegisterChild(tag, "李小" + tag, village);
  const Principal& officer = InJurisdiction(wuding_officer_, village) ? wuding_officer_ : xixia_officer_;
  rv1::CompleteVerificationRequest verify;
  verify.set_request_id("verify-" + tag);
  verify.set_case_id(accepted.case_id());
  verify.set_note("household visited");
  auto verified = Call(&rv1::RegistryService::Stub::CompleteVerification, officer, verify);
  EXPECT_TRUE(verified.ok()) << verified.status();
  return accepted.child_id();
}

v1::ProposeProgramRequest AllowanceTest::Proposal(const std::string& request_id, const ProgramTerms& terms) {
  v1::ProposeProgramRequest request;
  request.set_request_id(request_id);
  v1::Program* p = request.mutable_program();
  p->set_name("武定县困境儿童关爱项目");
  p->set_plan("Weekend home visits and emergency relief for left-behind children in Wuding.");
  p->set_target_group("left-behind children of Wuding county");
  p->set_jurisdiction("532329");
  p->set_funder_organisation_id("wuding-civil-affairs");
  p->set_budget_fen(terms.budget_fen);
  const absl::CivilDay today = ShanghaiDay(allowance_clock_.Now());
  p->set_period_start(absl::FormatCivilTime(today - 30));
  p->set_period_end(absl::FormatCivilTime(today + 335));
  for (v1::AllowanceType t : terms.types) p->add_allowed_types(t);
  for (rv1::ChildCategory c : terms.categories) p->add_eligible_categories(c);
  p->set_per_payment_cap_fen(terms.per_payment_cap_fen);
  p->set_per_child_year_cap_fen(terms.per_child_year_cap_fen);
  p->set_second_approval_threshold_fen(terms.second_approval_threshold_fen);
  return request;
}

std::string AllowanceTest::FundedProgram(const std::string& tag, const ProgramTerms& terms) {
  auto proposed =
      Do(&v1::AllowanceService::Stub::ProposeProgram, ngo_admin_, Proposal("propose-" + tag, terms));
  EXPECT_TRUE(proposed.ok()) << proposed.status();
  if (!proposed.ok()) return "";
  const std::string id = proposed->program().program_id();
  v1::AssessProgramRequest assess;
  assess.set_request_id("assess-" + tag);
  assess.set_program_id(id);
  v1::AssessmentScore* score = assess.add_scores();
  score->set_criterion("plan");
  score->set_score(86);
  assess.set_reviewer("评审小组");
  assess.set_accept(true);
  auto assessed = Do(&v1::AllowanceService::Stub::AssessProgram, wuding_officer_, assess);
  EXPECT_TRUE(assessed.ok()) << assessed.status();
  v1::FundProgramRequest fund;
  fund.set_request_id("fund-" + tag);
  fund.set_program_id(id);
  auto funded = Do(&v1::AllowanceService::Stub::FundProgram, wuding_officer_, fund);
  EXPECT_TRUE(funded.ok()) << funded.status();
  return id;
}

v1::SubmitApplicationRequest AllowanceTest::Application(const std::string& request_id,
                                                        const std::string& program_id,
                                                        const std::string& child_id, int64_t amount_fen,
                                                        v1::AllowanceType type) {
  v1::SubmitApplicationRequest request;
  request.set_request_id(request_id);
  request.set_program_id(program_id);
  request.set_child_id(child_id);
  request.set_type(type);
  request.set_amount_fen(amount_fen);
  request.set_reason("the family's house was damaged by the rains");
  return request;
}

absl::StatusOr<v1::Application> AllowanceTest::Submit(const Principal& as,
                                                      const v1::SubmitApplicationRequest& request) {
  ASSIGN_OR_RETURN(auto response, Do(&v1::AllowanceService::Stub::SubmitApplication, as, request));
  return response.application();
}

absl::StatusOr<v1::Application> AllowanceTest::Approve(const Principal& as, const std::string& request_id,
                                                       const std::string& application_id) {
  v1::ApproveApplicationRequest request;
  request.set_request_id(request_id);
  request.set_application_id(application_id);
  ASSIGN_OR_RETURN(auto response, Do(&v1::AllowanceService::Stub::ApproveApplication, as, request));
  return response.application();
}

v1::PayApplicationRequest AllowanceTest::PayRequest(const std::string& request_id,
                                                    const std::string& application_id) {
  v1::PayApplicationRequest request;
  request.set_request_id(request_id);
  request.set_application_id(application_id);
  request.set_method(v1::PAYMENT_METHOD_BANK_TRANSFER);
  request.set_payee_reference("guardian-account-ref-1");
  return request;
}

absl::StatusOr<v1::Payment> AllowanceTest::Pay(const Principal& as, const std::string& request_id,
                                               const std::string& application_id) {
  ASSIGN_OR_RETURN(auto response, Do(&v1::AllowanceService::Stub::PayApplication, as,
                                     PayRequest(request_id, application_id)));
  return response.payment();
}

absl::StatusOr<v1::Payment> AllowanceTest::Outcome(const Principal& as, const std::string& request_id,
                                                   const std::string& payment_id, v1::PaymentOutcome outcome,
                                                   int32_t attempt) {
  v1::RecordPaymentOutcomeRequest request;
  request.set_request_id(request_id);
  request.set_payment_id(payment_id);
  request.set_outcome(outcome);
  request.set_attempt(attempt);
  if (outcome != v1::PAYMENT_OUTCOME_CONFIRMED) request.set_reason("account closed");
  ASSIGN_OR_RETURN(auto response, Do(&v1::AllowanceService::Stub::RecordPaymentOutcome, as, request));
  return response.payment();
}

absl::StatusOr<v1::Program> AllowanceTest::Program(const std::string& program_id) {
  v1::GetProgramRequest request;
  request.set_program_id(program_id);
  ASSIGN_OR_RETURN(auto response, Do(&v1::AllowanceService::Stub::GetProgram, wuding_officer_, request));
  return response.program();
}

absl::StatusOr<v1::ReconcileProgramResponse> AllowanceTest::Reconcile(const std::string& program_id) {
  v1::ReconcileProgramRequest request;
  request.set_program_id(program_id);
  return Do(&v1::AllowanceService::Stub::ReconcileProgram, finance_, request);
}

std::string AllowanceTest::ApprovedApplication(const std::string& tag, const std::string& program_id,
                                               const std::string& child_id, int64_t amount_fen) {
  auto submitted = Submit(wuding_caseworker_, Application("submit-" + tag, program_id, child_id, amount_fen));
  EXPECT_TRUE(submitted.ok()) << submitted.status();
  if (!submitted.ok()) return "";
  auto approved = Approve(ngo_admin_, "approve-" + tag, submitted->application_id());
  EXPECT_TRUE(approved.ok()) << approved.status();
  if (approved.ok() && approved->state() == v1::APPLICATION_STATE_AWAITING_SECOND_APPROVAL) {
    approved = Approve(finance_, "approve2-" + tag, submitted->application_id());
    EXPECT_TRUE(approved.ok()) << approved.status();
  }
  return submitted->application_id();
}

}  // namespace shouhu::allowance::testing
