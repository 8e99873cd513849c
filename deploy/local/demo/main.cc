// shouhu-demo: seeds the running local stack with the partner counties' demo data, through the services'
// own APIs, signed as the gateway would. Safe to run on every start: every change has a fixed request id.
#include <grpcpp/create_channel.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/clock.h"
#include "common/principal.h"
#include "deploy/local/demo/casework_demo.h"
#include "deploy/local/demo/registry_demo.h"
#ifdef SHOUHU_HAS_TRAINING
#include "deploy/local/demo/training_demo.h"
#endif
#ifdef SHOUHU_HAS_ALLOWANCE
#include "deploy/local/demo/allowance_demo.h"
#endif
#ifdef SHOUHU_HAS_VISITS
#include "deploy/local/demo/visits_demo.h"
#endif

ABSL_FLAG(std::string, registry, "127.0.0.1:50051", "registry address");
ABSL_FLAG(std::string, training, "127.0.0.1:50054", "training address");
ABSL_FLAG(std::string, allowance, "127.0.0.1:50053", "allowance address");
ABSL_FLAG(std::string, visits, "127.0.0.1:50052", "visits address");
ABSL_FLAG(std::string, gateway_key, "",
          "the gateway's signing key file (<kid>.key): the demo signs as the gateway");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto key = shouhu::ReadSigningKey(absl::GetFlag(FLAGS_gateway_key));
  if (!key.ok()) {
    std::fprintf(stderr, "shouhu-demo: --gateway_key: %s\n", std::string(key.status().message()).c_str());
    return 2;
  }
  shouhu::SystemClock clock;
  shouhu::PrincipalSigner signer(*std::move(key), clock);
  absl::StatusOr<shouhu::demo::RegistryDemo> registry = shouhu::demo::SeedRegistryDemo(
      grpc::CreateChannel(absl::GetFlag(FLAGS_registry), grpc::InsecureChannelCredentials()), signer);
  if (!registry.ok()) {
    std::fprintf(stderr, "shouhu-demo: registry: %s\n", std::string(registry.status().message()).c_str());
    return 1;
  }
  absl::Status seeded;
  // The casework service is served by the registry process.
  seeded = shouhu::demo::SeedCaseworkDemo(
      grpc::CreateChannel(absl::GetFlag(FLAGS_registry), grpc::InsecureChannelCredentials()), signer);
  if (!seeded.ok()) {
    std::fprintf(stderr, "shouhu-demo: casework: %s\n", std::string(seeded.message()).c_str());
    return 1;
  }
#ifdef SHOUHU_HAS_TRAINING
  std::vector<shouhu::DemoHomeVisitor> home_visitors;
  seeded = shouhu::SeedTrainingDemo(
      grpc::CreateChannel(absl::GetFlag(FLAGS_training), grpc::InsecureChannelCredentials()), signer,
      &home_visitors);
  if (!seeded.ok()) {
    std::fprintf(stderr, "shouhu-demo: training: %s\n", std::string(seeded.message()).c_str());
    return 1;
  }
  std::printf("  training demo: courses, sessions, volunteers\n");
#ifdef SHOUHU_HAS_VISITS
  absl::StatusOr<shouhu::VisitsDemoResult> visits = shouhu::SeedVisitsDemo(
      grpc::CreateChannel(absl::GetFlag(FLAGS_visits), grpc::InsecureChannelCredentials()), signer,
      home_visitors);
  if (!visits.ok()) {
    std::fprintf(stderr, "shouhu-demo: visits: %s\n", std::string(visits.status().message()).c_str());
    return 1;
  }
  // deploy/local/up reads the last two lines' values for its printout.
  std::printf("  visits demo: visitors, weekend of %s planned (%d assignments)\n",
              visits->weekend_date.c_str(), visits->planned_assignments);
  std::printf("demo-weekend=%s\n", visits->weekend_date.c_str());
  std::printf("demo-wuding-visitor=%s\n", visits->wuding_visitor_id.c_str());
#endif
#endif
#ifdef SHOUHU_HAS_ALLOWANCE
  // After training: the program's operator must be qualified there.
  absl::StatusOr<shouhu::AllowanceDemo> allowance = shouhu::SeedAllowanceDemo(
      grpc::CreateChannel(absl::GetFlag(FLAGS_allowance), grpc::InsecureChannelCredentials()), signer,
      registry->wuding_unsupported_child_id);
  if (!allowance.ok()) {
    std::fprintf(stderr, "shouhu-demo: allowance: %s\n", std::string(allowance.status().message()).c_str());
    return 1;
  }
  std::printf(
      "  allowance demo: two funded programs in Wuding (532329), one child enrolled for the monthly basic "
      "living allowance\n");
  // deploy/local/up reads these for its printout.
  std::printf("demo-living-program=%s\n", allowance->living_program_id.c_str());
  std::printf("demo-enrolment=%s\n", allowance->enrolment_id.c_str());
#endif
  return 0;
}
