#include "deploy/local/demo/casework_demo.h"

#include <cstdio>
#include <string>
#include <vector>

#include "common/grpc_status.h"
#include "shouhu/registry/v1/casework_service.grpc.pb.h"

namespace shouhu::demo {
namespace {

namespace v1 = registry::v1;

struct Question {
  const char* id;
  const char* text;
};
struct Domain {
  const char* id;
  const char* title;
  std::vector<Question> questions;
};

// A four-colour risk instrument after the common county forms: each question scores 0 (fine), 2 (a concern)
// or 5 (serious); the emergency question forces red.
v1::Instrument DefaultInstrument() {
  const std::vector<Domain> domains = {
      {"safety", "安全", {{"home-safety", "居住环境安全"}, {"harm", "受到伤害或忽视的迹象"}}},
      {"care", "监护照料", {{"guardian-capacity", "监护人照护能力"}, {"daily-care", "日常生活照料"}}},
      {"health", "健康", {{"physical", "身体健康"}, {"mental", "心理与情绪状态"}}},
      {"school", "教育", {{"attendance", "就学与出勤"}}},
  };
  v1::Instrument instrument;
  instrument.set_code("child-risk");
  instrument.set_title("困境儿童风险评估（四色）");
  for (const Domain& d : domains) {
    auto* domain = instrument.add_domains();
    domain->set_domain_id(d.id);
    domain->set_title(d.title);
    for (const Question& q : d.questions) {
      auto* question = domain->add_questions();
      question->set_question_id(q.id);
      question->set_text(q.text);
      for (auto [score, label] : {std::pair{0, "良好"}, std::pair{2, "存在问题"}, std::pair{5, "严重"}}) {
        auto* option = question->add_options();
        option->set_score(score);
        option->set_label(label);
      }
    }
  }
  auto* emergency = instrument.mutable_domains(0)->add_questions();
  emergency->set_question_id("no-caregiver-now");
  emergency->set_text("儿童当前处于无人照护或正在受到伤害的状态");
  emergency->set_emergency_override(true);
  for (auto [score, label] : {std::pair{0, "否"}, std::pair{1, "是"}}) {
    auto* option = emergency->add_options();
    option->set_score(score);
    option->set_label(label);
  }
  // Seven scored questions, 0-35: green below 6, blue 6-13, yellow 14-21, red from 22.
  int level = v1::RISK_LEVEL_LOW;
  for (int min : {0, 6, 14, 22}) {
    auto* band = instrument.add_bands();
    band->set_risk_level(static_cast<v1::RiskLevel>(level++));
    band->set_min_total(min);
  }
  return instrument;
}

}  // namespace

absl::Status SeedCaseworkDemo(const std::shared_ptr<grpc::Channel>& channel, const PrincipalSigner& signer) {
  auto stub = v1::CaseworkService::NewStub(channel);
  Principal officer;
  officer.set_subject("demo-officer-532329");
  officer.set_organisation_id("wuding-civil-affairs");
  officer.add_roles(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  officer.add_jurisdictions("532329");
  v1::PublishInstrumentRequest request;
  request.set_request_id("demo-instrument-child-risk-1");
  *request.mutable_instrument() = DefaultInstrument();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  signer.Attach(officer, context);
  v1::PublishInstrumentResponse response;
  grpc::Status status = stub->PublishInstrument(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  std::printf("  casework demo: instrument %s v%d (%s)\n", response.instrument().code().c_str(),
              response.instrument().version(), response.instrument().instrument_id().c_str());
  return absl::OkStatus();
}

}  // namespace shouhu::demo
