#include "tests/integration/registry/casework_fixture.h"

#include "absl/strings/str_cat.h"

namespace shouhu::registry::testing {

void CaseworkTest::SetUp() {
  RegistryTest::SetUp();
  if (HasFatalFailure()) return;
  casework_ = v1::CaseworkService::NewStub(server_->channel());
}

v1::Instrument CaseworkTest::TestInstrument() {
  v1::Instrument i;
  i.set_code("child-risk");
  i.set_title("困境儿童风险评估");
  auto* care = i.add_domains();
  care->set_domain_id("care");
  care->set_title("照护与安全");
  for (const char* id : {"q1", "q2"}) {
    auto* q = care->add_questions();
    q->set_question_id(id);
    q->set_text(std::string(id) == "q1" ? "监护人照护能力" : "居住安全");
    for (int score : {0, 2, 5}) {
      auto* o = q->add_options();
      o->set_score(score);
      o->set_label(score == 0 ? "良好" : score == 2 ? "一般" : "差");
    }
  }
  auto* emergency = care->add_questions();
  emergency->set_question_id("alone-tonight");
  emergency->set_text("儿童今晚无人照护");
  emergency->set_emergency_override(true);
  for (int score : {0, 1}) {
    auto* o = emergency->add_options();
    o->set_score(score);
    o->set_label(score ? "是" : "否");
  }
  int level = v1::RISK_LEVEL_LOW;
  for (int min : {0, 3, 6, 9}) {
    auto* b = i.add_bands();
    b->set_risk_level(static_cast<v1::RiskLevel>(level++));
    b->set_min_total(min);
  }
  return i;
}

v1::Instrument CaseworkTest::Publish() {
  v1::PublishInstrumentRequest request;
  request.set_request_id(absl::StrCat("publish-", ++request_counter_));
  *request.mutable_instrument() = TestInstrument();
  auto published = Ask(&v1::CaseworkService::Stub::PublishInstrument, wuding_officer_, request);
  EXPECT_TRUE(published.ok()) << published.status();
  if (!published.ok()) return {};
  instrument_id_ = published->instrument().instrument_id();
  return published->instrument();
}

std::vector<v1::Answer> CaseworkTest::Answers(int q1, int q2, int emergency) {
  std::vector<v1::Answer> answers(3);
  answers[0].set_question_id("q1");
  answers[0].set_score(q1);
  answers[1].set_question_id("q2");
  answers[1].set_score(q2);
  answers[2].set_question_id("alone-tonight");
  answers[2].set_score(emergency);
  return answers;
}

absl::StatusOr<v1::Assessment> CaseworkTest::Assess(const Principal& as, const std::string& request_id,
                                                    const std::string& case_id,
                                                    const std::vector<v1::Answer>& answers) {
  v1::CreateAssessmentRequest request;
  request.set_request_id(request_id);
  request.set_case_id(case_id);
  request.set_instrument_id(instrument_id_);
  for (const auto& a : answers) *request.add_answers() = a;
  auto response = Ask(&v1::CaseworkService::Stub::CreateAssessment, as, request);
  if (!response.ok()) return response.status();
  return response->assessment();
}

absl::StatusOr<v1::Review> CaseworkTest::Submit(const Principal& as, const std::string& item_id) {
  v1::SubmitForReviewRequest request;
  request.set_request_id(absl::StrCat("submit-", ++request_counter_));
  request.set_item_id(item_id);
  auto response = Ask(&v1::CaseworkService::Stub::SubmitForReview, as, request);
  if (!response.ok()) return response.status();
  return response->review();
}

absl::StatusOr<v1::Review> CaseworkTest::Check(const Principal& as, const std::string& item_id) {
  v1::CheckReviewRequest request;
  request.set_request_id(absl::StrCat("check-", ++request_counter_));
  request.set_item_id(item_id);
  auto response = Ask(&v1::CaseworkService::Stub::CheckReview, as, request);
  if (!response.ok()) return response.status();
  return response->review();
}

absl::StatusOr<v1::Review> CaseworkTest::Confirm(const Principal& as, const std::string& item_id) {
  v1::ConfirmReviewRequest request;
  request.set_request_id(absl::StrCat("confirm-", ++request_counter_));
  request.set_item_id(item_id);
  auto response = Ask(&v1::CaseworkService::Stub::ConfirmReview, as, request);
  if (!response.ok()) return response.status();
  return response->review();
}

absl::StatusOr<v1::Review> CaseworkTest::Return(const Principal& as, const std::string& item_id,
                                                const std::string& reason) {
  v1::ReturnForRevisionRequest request;
  request.set_request_id(absl::StrCat("return-", ++request_counter_));
  request.set_item_id(item_id);
  request.set_reason(reason);
  auto response = Ask(&v1::CaseworkService::Stub::ReturnForRevision, as, request);
  if (!response.ok()) return response.status();
  return response->review();
}

void CaseworkTest::Approve(const std::string& item_id) {
  ASSERT_OK(Submit(wuding_caseworker_, item_id));
  ASSERT_OK(Check(township_supervisor_, item_id));
  ASSERT_OK(Confirm(wuding_officer_, item_id));
}

absl::StatusOr<v1::Case> CaseworkTest::CaseNow(const std::string& case_id) {
  v1::GetCaseRequest request;
  request.set_purpose("case review");
  request.set_case_id(case_id);
  auto response = Call(&v1::RegistryService::Stub::GetCase, wuding_officer_, request);
  if (!response.ok()) return response.status();
  return response->case_();
}

std::vector<common::v1::Event> CaseworkTest::EventsOf(const std::string& type) {
  std::vector<common::v1::Event> matching;
  for (auto& e : Events()) {
    if (e.type() == type) matching.push_back(std::move(e));
  }
  return matching;
}

}  // namespace shouhu::registry::testing
