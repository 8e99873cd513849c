// The registry's writers driven through the real edge, for tests that check what every writer must keep in
// step (the statistics' counts, migration 0045; the county search's category rows, migration 0047): intake
// and accept, roster imports, county transfers and the steps of a case's lifecycle, each as its county's
// officer, each returning the refusal a fair step may meet.
#ifndef SHOUHU_TESTS_INTEGRATION_REGISTRY_REGISTRY_WRITERS_H_
#define SHOUHU_TESTS_INTEGRATION_REGISTRY_REGISTRY_WRITERS_H_

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "shouhu/registry/v1/roster_service.grpc.pb.h"
#include "tests/integration/registry/registry_fixture.h"

namespace shouhu::registry::testing {

// Whether a step that may fairly be refused (a closed case cannot move, an open one not reopen, ...) ended
// as such a refusal rather than as an error of what the test checks.
inline bool AcceptableRefusal(const absl::Status& s) {
  return s.ok() || s.code() == absl::StatusCode::kFailedPrecondition ||
         s.code() == absl::StatusCode::kNotFound || s.code() == absl::StatusCode::kAlreadyExists;
}

class RegistryWritersTest : public RegistryTest {
 protected:
  using Coop = v1::CaseCooperationService::Stub;
  using Registry = v1::RegistryService::Stub;

  struct Tracked {
    std::string case_id;
    std::string county;  // where the case is now: whose officer may change it
  };

  const Principal& OfficerOf(const std::string& county) {
    return county == "640105" ? xixia_officer_ : wuding_officer_;
  }

  // Submits and accepts a referral; the new case, or the refusal.
  absl::StatusOr<v1::Case> Refer(const std::string& tag, const std::string& village,
                                 const std::string& resident_id,
                                 const std::vector<v1::ChildCategory>& categories, v1::RiskLevel risk) {
    const Principal& officer = OfficerOf(village.substr(0, 6));
    v1::SubmitReferralRequest request =
        Referral("submit-" + tag, "测试儿童" + tag, "2015-06-07", resident_id, village);
    request.clear_categories();
    for (v1::ChildCategory c : categories) request.add_categories(c);
    absl::StatusOr<v1::Referral> referral = Submit(officer, request);
    if (!referral.ok()) return referral.status();
    return Accept(officer, "accept-" + tag, referral->referral_id(), "ngo-wuding", risk);
  }

  absl::StatusOr<v1::ImportRosterResponse> ImportRows(const std::string& import_id,
                                                      const std::vector<v1::RosterRow>& rows) {
    auto stub = v1::RosterService::NewStub(server_->channel());
    auto context = principals_.Context(wuding_officer_);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    v1::ImportRosterResponse answer;
    auto writer = stub->ImportRoster(context.get(), &answer);
    v1::ImportRosterRequest header;
    header.mutable_header()->set_import_id(import_id);
    header.mutable_header()->set_county_code("532329");
    writer->Write(header);
    v1::ImportRosterRequest chunk;
    chunk.mutable_chunk()->set_chunk_number(1);
    for (const auto& r : rows) *chunk.mutable_chunk()->add_rows() = r;
    writer->Write(chunk);
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok()) return FromGrpcStatus(status);
    return answer;
  }

  // Moves a case to a village of the other county (or to `to_village`): requested by its county, accepted
  // by the other.
  absl::Status MoveCounty(const std::string& tag, Tracked& c, std::string to_village = "") {
    if (to_village.empty()) to_village = c.county == "532329" ? kXixiaVillage : kWudingVillage2;
    v1::RequestCountyTransferRequest request;
    request.set_request_id("move-" + tag);
    request.set_case_id(c.case_id);
    request.set_to_village_code(to_village);
    request.set_reason("随父母迁居");
    absl::StatusOr<v1::RequestCountyTransferResponse> requested =
        Cooperate(&Coop::RequestCountyTransfer, OfficerOf(c.county), request);
    if (!requested.ok()) return requested.status();
    v1::AcceptCountyTransferRequest accept;
    accept.set_request_id("take-" + tag);
    accept.set_transfer_id(requested->transfer().transfer_id());
    const std::string to_county = to_village.substr(0, 6);
    absl::StatusOr<v1::AcceptCountyTransferResponse> accepted =
        Cooperate(&Coop::AcceptCountyTransfer, OfficerOf(to_county), accept);
    if (!accepted.ok()) return accepted.status();
    c.county = to_county;
    return absl::OkStatus();
  }

  // The child of a case moved home inside its county, by the county's officer: in Wuding to a village of
  // another township (the township's statistics are read from the rows), in Xixia to a new address.
  absl::Status MoveHome(const std::string& tag, const Tracked& c, bool other_township) {
    v1::MoveHouseholdRequest r;
    r.set_request_id("home-" + tag);
    r.set_case_id(c.case_id);
    const bool wuding = c.county == "532329";
    r.mutable_household()->set_village_code(!wuding          ? kXixiaVillage
                                            : other_township ? kWudingOtherTownshipVillage
                                                             : kWudingVillage2);
    r.mutable_household()->set_address_detail("新家 " + tag);
    r.set_reason("随祖父母搬家");
    return Call(&Registry::MoveHousehold, OfficerOf(c.county), r).status();
  }

  // One step of a case's lifecycle by its county's officer: 0 regrade, 1 verify, 2 close, 3 reopen.
  absl::Status ChangeCase(int kind, const std::string& tag, const Tracked& c, v1::RiskLevel risk) {
    const Principal& as = OfficerOf(c.county);
    switch (kind) {
      case 0: {
        v1::SetRiskLevelRequest r;
        r.set_request_id("risk-" + tag);
        r.set_case_id(c.case_id);
        r.set_risk_level(risk);
        r.set_reason("家访后重新评估");
        return Call(&Registry::SetRiskLevel, as, r).status();
      }
      case 1: {
        v1::CompleteVerificationRequest r;
        r.set_request_id("verify-" + tag);
        r.set_case_id(c.case_id);
        return Call(&Registry::CompleteVerification, as, r).status();
      }
      case 2: {
        v1::CloseCaseRequest r;
        r.set_request_id("close-" + tag);
        r.set_case_id(c.case_id);
        r.set_reason("监护恢复");
        return Call(&Registry::CloseCase, as, r).status();
      }
      default: {
        v1::ReopenCaseRequest r;
        r.set_request_id("reopen-" + tag);
        r.set_case_id(c.case_id);
        r.set_reason("再次失去照料");
        return Call(&Registry::ReopenCase, as, r).status();
      }
    }
  }

  // Runs `step(caller, round)` for `rounds` rounds on each of `callers` threads at once; returns what each
  // caller met that was not an acceptable refusal ("" for none).
  static std::vector<std::string> RaceWriters(int callers, int rounds,
                                              const std::function<absl::Status(int, int)>& step) {
    std::vector<std::string> unexpected(static_cast<size_t>(callers));
    std::vector<std::thread> threads;
    for (int t = 0; t < callers; ++t) {
      threads.emplace_back([&, t] {
        for (int round = 0; round < rounds; ++round) {
          const absl::Status status = step(t, round);
          if (!AcceptableRefusal(status)) {
            absl::StrAppend(&unexpected[static_cast<size_t>(t)], status.ToString(), "; ");
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    return unexpected;
  }
};

}  // namespace shouhu::registry::testing

#endif  // SHOUHU_TESTS_INTEGRATION_REGISTRY_REGISTRY_WRITERS_H_
