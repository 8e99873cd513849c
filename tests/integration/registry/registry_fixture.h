// A registry served on loopback against its own migrated schema on the test MariaDB, with the demo counties'
// divisions loaded, and the callers the tests act as.
#ifndef SHOUHU_TESTS_INTEGRATION_REGISTRY_REGISTRY_FIXTURE_H_
#define SHOUHU_TESTS_INTEGRATION_REGISTRY_REGISTRY_FIXTURE_H_

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/grpc_status.h"
#include "services/registry/registry_module.h"
#include "shouhu/registry/v1/cooperation_service.grpc.pb.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"
#include "tests/support/case_requests.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace shouhu::registry::testing {

namespace v1 = ::shouhu::registry::v1;

// The PII access log's entries, one per record a read showed (a read's row with its records, migration 0044),
// for Count(): Count(kAccessLogEntries + " WHERE method = 'GetChild'").
inline const std::string kAccessLogEntries =
    "pii_access_records_by_week JOIN pii_access_reads ON id = log_id";

using ::shouhu::testing::WithCase;

// Follows the access log's tail as an auditor's program would, page after page from the last entry it saw
// (ListAccessLog through `auditor`), until `writing` is zero and a page comes back empty: the entry ids seen,
// or the first error.
absl::StatusOr<std::set<std::string>> FollowAccessLog(RegistryStore& auditor,
                                                      const std::atomic<int>& writing);

// Real villages: 东岳社区 in Wuding (Yunnan) and 康庄社区 in Xixia (Ningxia).
inline constexpr char kWudingVillage[] = "532329101001";
inline constexpr char kWudingVillage2[] = "532329101002";
inline constexpr char kXixiaVillage[] = "640105001002";
// A village of Wuding in another township (高桥镇) than the two above.
inline constexpr char kWudingOtherTownshipVillage[] = "532329102201";

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A complete, valid submission about one child.
  static v1::SubmitReferralRequest Referral(const std::string& request_id, const std::string& name,
                                            const std::string& birth_date = "2015-06-07",
                                            const std::string& resident_id = "",
                                            const std::string& village = kWudingVillage);

  template <typename Request, typename Response>
  using Method = grpc::Status (v1::RegistryService::Stub::*)(grpc::ClientContext*, const Request&, Response*);

  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(Method<Request, Response> method, const Principal& as,
                                const Request& request) {
    Response response;
    auto context = principals_.Context(as);
    grpc::Status status = (stub_.get()->*method)(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // The same for CaseCooperationService, served beside RegistryService by the same module.
  template <typename Request, typename Response>
  using CooperationMethod = grpc::Status (v1::CaseCooperationService::Stub::*)(grpc::ClientContext*,
                                                                               const Request&, Response*);

  template <typename Request, typename Response>
  absl::StatusOr<Response> Cooperate(CooperationMethod<Request, Response> method, const Principal& as,
                                     const Request& request) {
    Response response;
    auto context = principals_.Context(as);
    grpc::Status status = (cooperation_stub_.get()->*method)(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  absl::StatusOr<v1::Referral> Submit(const Principal& as, const v1::SubmitReferralRequest& request);
  absl::StatusOr<v1::Case> Accept(const Principal& as, const std::string& request_id,
                                  const std::string& referral_id,
                                  const std::string& organisation = "ngo-wuding",
                                  v1::RiskLevel risk = v1::RISK_LEVEL_HIGH);
  // Submit and accept in one go; the child and case for tests about later steps.
  v1::Case RegisterChild(const std::string& tag, const std::string& name,
                         const std::string& village = kWudingVillage);

  // The access log's entries about `record_id` that `method` wrote, as the provincial auditor lists them.
  std::vector<v1::AccessLogEntry> AccessLogOf(const std::string& record_id, const std::string& method);

  int64_t Count(const std::string& table) { return database_->Count(table); }
  std::vector<common::v1::Event> Events();

  SystemClock clock_;
  CallWorkers workers_{8};  // outlives the server
  std::unique_ptr<shouhu::testing::TestDatabase> database_;
  std::unique_ptr<IdGenerator> ids_;
  Logger logger_{"registry-test"};
  Metrics metrics_{"registry-test"};
  ServiceConfig service_config_;
  std::unique_ptr<PrincipalVerifier> verifier_;
  const ServiceIdentity identity_{"registry", shouhu::testing::TestServiceKey("registry"), clock_};
  std::unique_ptr<RegistryModule> module_;
  std::unique_ptr<shouhu::testing::TestServer> server_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
  std::unique_ptr<v1::CaseCooperationService::Stub> cooperation_stub_;
  // Mandatory reports' first-response deadlines; a fixture may shorten them before SetUp.
  ReportDeadlines report_deadlines_;
  shouhu::testing::TestPrincipals principals_{clock_};

  // Callers. Organisation ids are the identity provider's; jurisdictions are division prefixes.
  const Principal wuding_officer_ = shouhu::testing::MakePrincipal(
      "officer-wuding", "wuding-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"532329"});
  const Principal xixia_officer_ = shouhu::testing::MakePrincipal(
      "officer-xixia", "xixia-civil-affairs", common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, {"640105"});
  const Principal wuding_caseworker_ = shouhu::testing::MakePrincipal(
      "caseworker-1", "ngo-wuding", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal other_ngo_caseworker_ = shouhu::testing::MakePrincipal(
      "caseworker-2", "ngo-other", common::v1::ROLE_NGO_CASEWORKER, {"532329"});
  const Principal auditor_ =
      shouhu::testing::MakePrincipal("auditor-1", "provincial-audit", common::v1::ROLE_AUDITOR, {"53"});
  const Principal volunteer_ =
      shouhu::testing::MakePrincipal("volunteer-1", "ngo-wuding", common::v1::ROLE_VOLUNTEER, {"532329"});
  const Principal system_ =
      shouhu::testing::MakePrincipal("visits-service", "system", common::v1::ROLE_SYSTEM, {"53", "64", "33"});
};

}  // namespace shouhu::registry::testing

#endif  // SHOUHU_TESTS_INTEGRATION_REGISTRY_REGISTRY_FIXTURE_H_
