// A real training service over loopback gRPC on its own migrated schema, with a ManualClock, plus helpers
// that build the usual fixtures (courses, volunteers, sessions, certificates) through the API.
#ifndef SHOUHU_TESTS_INTEGRATION_TRAINING_TRAINING_TEST_FIXTURE_H_
#define SHOUHU_TESTS_INTEGRATION_TRAINING_TRAINING_TEST_FIXTURE_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/principal.h"
#include "common/server.h"
#include "services/training/training_module.h"
#include "shouhu/training/v1/training.grpc.pb.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_keys.h"

namespace shouhu::training {

using Stub = v1::TrainingService::Stub;

class TrainingTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Principal& principal, const Request& request, Response* response) {
    grpc::ClientContext context;
    signer_->Attach(principal, context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return (stub_.get()->*method)(&context, request, response);
  }

  static Principal Make(common::v1::Role role, const std::string& organisation,
                        std::vector<std::string> jurisdictions, const std::string& subject = "");
  // Civil-affairs officer of Wuding county (532329).
  static Principal Officer() {
    return Make(common::v1::ROLE_CIVIL_AFFAIRS_OFFICER, "gov-wuding", {"532329"});
  }
  static Principal NgoAdmin(const std::string& org = "ngo-wuding", const std::string& county = "532329") {
    return Make(common::v1::ROLE_NGO_ADMIN, org, {county});
  }
  static Principal Trainer() { return Make(common::v1::ROLE_TRAINER, "gov-wuding", {"532329"}); }
  // The visits service, as it asks about volunteers in every county the tests use (Yunnan, Ningxia,
  // Zhejiang): a system principal carries a jurisdiction like everyone.
  static Principal System() { return Make(common::v1::ROLE_SYSTEM, "visits", {"53", "64", "33"}); }

  // Through the API, as the officer; each fails the test on error.
  v1::Course CreateCourse(const std::string& code, std::vector<v1::Activity> required_for,
                          int validity_months = 12, int pass_mark = 60);
  v1::Participant RegisterVolunteer(const std::string& org = "ngo-wuding",
                                    const std::string& division = "532329101", const Principal* as = nullptr);
  void MoveTo(const std::string& participant_id, v1::VolunteerStage stage);
  void Activate(const std::string& participant_id);  // applied → … → active
  void RecordCheck(const std::string& participant_id, v1::BackgroundCheckStatus status,
                   const std::string& checked_on, const std::string& expires_on);
  // A session of `course` starting on `day` (Asia/Shanghai, 09:00) in Wuding.
  v1::Session Schedule(const std::string& course_id, absl::CivilDay day, int capacity = 30);
  v1::Enrollment EnrollIn(const std::string& session_id, const std::string& participant_id);
  // Runs `record` (a session's results) once the session has begun: the clock is set to the session's end
  // when it is still ahead, and back afterwards, so a test can hold a certificate that begins later.
  void AfterItBegan(const v1::Session& session, const std::function<void()>& record);
  // Enrolls and records attendance, without a score: a refresher (RenewCertification), no certificate.
  v1::Enrollment Attend(const v1::Session& session, const std::string& participant_id);
  v1::Enrollment Attend(const std::string& course_id, const std::string& participant_id, absl::CivilDay day);
  // Enrolls, records attendance and a passing score; returns the issued certificate.
  v1::Certification Certify(const std::string& course_id, const std::string& participant_id,
                            absl::CivilDay day);
  // An active volunteer, background check cleared from 2025-01-01 to 2028-01-01.
  v1::Participant QualifiedVolunteerBase();

  std::string NextRequestId() { return absl::StrCat("req-", ++request_counter_); }
  std::vector<common::v1::Event> Events();

  CallWorkers workers_{8};  // outlives the server
  std::unique_ptr<testing::TestDatabase> database_;
  std::unique_ptr<ManualClock> clock_;
  std::unique_ptr<IdGenerator> ids_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<Metrics> metrics_;
  ServiceConfig service_config_;
  std::unique_ptr<PrincipalVerifier> verifier_;
  std::unique_ptr<PrincipalSigner> signer_;
  std::unique_ptr<ServiceIdentity> identity_;
  std::unique_ptr<TrainingModule> module_;
  std::unique_ptr<ServiceHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
  int request_counter_ = 0;
};

}  // namespace shouhu::training

#endif  // SHOUHU_TESTS_INTEGRATION_TRAINING_TRAINING_TEST_FIXTURE_H_
