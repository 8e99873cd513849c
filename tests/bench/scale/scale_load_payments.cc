// The scale loader's the payments: a program per county, then application, approval and payment
// (scale_loader.h).
#include "tests/bench/scale/scale_loader.h"

namespace shouhu::bench {

// A funded program per county: proposed by the NGO, assessed and funded by the bureau.
bool Loader::Program(const County& county, int64_t payments, std::string& program_id) {
  auto stub = alw::AllowanceService::NewStub(ChannelFor(0));
  const int year = static_cast<int>(absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)).year());
  alw::ProposeProgramRequest propose;
  propose.set_request_id(absl::StrCat("scale-program-", county.code, "-", year));
  alw::Program* p = propose.mutable_program();
  p->set_name(absl::StrCat(county.name, "困境儿童关爱服务项目（", year, "）"));
  p->set_plan(
      "Weekend home visits, emergency relief, school transport and tuition for children in difficulty.");
  p->set_target_group("children in difficulty registered in the county");
  p->set_jurisdiction(county.code);
  p->set_funder_organisation_id(kBureau);
  // What the county's share of the payments needs at most (800 yuan each), and a margin.
  p->set_budget_fen(std::max<int64_t>(10'000'000, payments * 80'000 * 2));
  p->set_period_start(absl::StrCat(year, "-01-01"));
  p->set_period_end(absl::StrCat(year + 1, "-12-31"));
  for (auto t : {alw::ALLOWANCE_TYPE_ONE_TIME_TRANSPORTATION, alw::ALLOWANCE_TYPE_EMERGENCY_RELIEF,
                 alw::ALLOWANCE_TYPE_TUITION}) {
    p->add_allowed_types(t);
  }
  for (int c = reg::CHILD_CATEGORY_LEFT_BEHIND; c <= reg::CHILD_CATEGORY_BOARDING_STUDENT; ++c) {
    p->add_eligible_categories(static_cast<reg::ChildCategory>(c));
  }
  p->set_per_payment_cap_fen(200'000);
  p->set_per_child_year_cap_fen(500'000);
  p->set_second_approval_threshold_fen(100'000);
  alw::ProposeProgramResponse proposed;
  if (!Check("ProposeProgram", LoadCallAs(*stub, &alw::AllowanceService::Stub::ProposeProgram,
                                          Token("ngo_admin"), propose, &proposed))) {
    return false;
  }
  program_id = proposed.program().program_id();
  alw::AssessProgramRequest assess;
  assess.set_request_id(absl::StrCat("scale-assess-", county.code, "-", year));
  assess.set_program_id(program_id);
  for (const auto& [criterion, score] :
       std::vector<std::pair<std::string, int>>{{"plan", 85}, {"capacity", 80}, {"cost", 78}}) {
    alw::AssessmentScore* sc = assess.add_scores();
    sc->set_criterion(criterion);
    sc->set_score(score);
  }
  assess.set_reviewer("项目评审组");
  assess.set_accept(true);
  alw::AssessProgramResponse assessed;
  if (!Check("AssessProgram", LoadCallAs(*stub, &alw::AllowanceService::Stub::AssessProgram, Token("officer"),
                                         assess, &assessed))) {
    return false;
  }
  alw::FundProgramRequest fund;
  fund.set_request_id(absl::StrCat("scale-fund-", county.code, "-", year));
  fund.set_program_id(program_id);
  alw::FundProgramResponse funded;
  return Check("FundProgram",
               LoadCallAs(*stub, &alw::AllowanceService::Stub::FundProgram, Token("officer"), fund, &funded));
}

bool Loader::Payments(Summary& s) {
  const int64_t total = Scaled(kFullPayments);
  std::map<std::string, std::vector<std::string>> children_of;  // county → child ids
  for (const auto& r : ReadRecords(dir_ + "/children.tsv")) {
    if (r.size() >= 3 && r[2].size() >= 6) children_of[r[2].substr(0, 6)].push_back(r[0]);
  }
  if (children_of.empty()) {
    std::fprintf(stderr, "!!! no children.tsv: load the cases first\n");
    return false;
  }
  std::map<std::string, int64_t> share;
  for (int64_t n = 0; n < total; ++n) ++share[CountyOf(n, total).code];
  std::map<std::string, std::string> programs;
  std::ofstream out(dir_ + "/programs.tsv");
  for (const County& c : counties_) {
    if (share[c.code] == 0 || children_of[c.code].empty()) continue;
    if (!Program(c, share[c.code], programs[c.code])) return false;
    out << c.code << '\t' << programs[c.code] << '\n';
  }
  out.close();
  if (progress_.Done("payments", absl::StrCat(total))) {
    s.note = "(loaded before)";
    return true;
  }
  // Payment n goes to the county that CountyOf gives, to its children in turn.
  std::vector<std::pair<std::string, std::string>> orders(static_cast<size_t>(total));  // program, child
  std::map<std::string, int64_t> used;
  for (int64_t n = 0; n < total; ++n) {
    const std::string& county = CountyOf(n, total).code;
    const auto& kids = children_of[county];
    if (kids.empty() || programs.count(county) == 0) continue;
    orders[static_cast<size_t>(n)] = {programs[county],
                                      kids[static_cast<size_t>(used[county]++) % kids.size()]};
  }
  const std::vector<std::string> methods = {"SubmitApplication", "ApproveApplication", "PayApplication"};
  admin::ProgressBar bar(std::cerr, total, "payments");
  LoadOptions options;
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.requests = total;
  options.progress = [&](int64_t done) { bar.Update(done); };
  std::atomic<int64_t> paid{0};
  LoadFigures figures = RunLoad(options, methods, [&](int, int64_t n, CallLog& log) {
    const auto& [program, child] = orders[static_cast<size_t>(n)];
    if (program.empty()) return;
    auto stub = alw::AllowanceService::NewStub(ChannelFor(n));
    static constexpr alw::AllowanceType kTypes[] = {alw::ALLOWANCE_TYPE_ONE_TIME_TRANSPORTATION,
                                                    alw::ALLOWANCE_TYPE_EMERGENCY_RELIEF,
                                                    alw::ALLOWANCE_TYPE_TUITION};
    alw::SubmitApplicationRequest submit;
    submit.set_request_id(absl::StrCat("scale-app-", n));
    submit.set_program_id(program);
    submit.set_child_id(child);
    submit.set_type(kTypes[n % 3]);
    submit.set_amount_fen(20'000 + (n % 7) * 10'000);
    submit.set_reason("家访发现的需要");  // a need the home visit found
    alw::SubmitApplicationResponse submitted;
    if (!log.Timed(0,
                   [&] {
                     return LoadCallAs(*stub, &alw::AllowanceService::Stub::SubmitApplication,
                                       Token("caseworker"), submit, &submitted);
                   })
             .ok()) {
      return;
    }
    alw::ApproveApplicationRequest approve;
    approve.set_request_id(absl::StrCat("scale-approve-", n));
    approve.set_application_id(submitted.application().application_id());
    alw::ApproveApplicationResponse approved;
    if (!log.Timed(1,
                   [&] {
                     return LoadCallAs(*stub, &alw::AllowanceService::Stub::ApproveApplication,
                                       Token("ngo_admin"), approve, &approved);
                   })
             .ok()) {
      return;
    }
    alw::PayApplicationRequest pay;
    pay.set_request_id(absl::StrCat("scale-pay-", n));
    pay.set_application_id(submitted.application().application_id());
    pay.set_method(alw::PAYMENT_METHOD_BANK_TRANSFER);
    pay.set_payee_reference(absl::StrCat("guardian-account-", n));
    alw::PayApplicationResponse payment;
    if (log.Timed(2,
                  [&] {
                    return LoadCallAs(*stub, &alw::AllowanceService::Stub::PayApplication, Token("ngo_admin"),
                                      pay, &payment);
                  })
            .ok()) {
      ++paid;
    }
  });
  bar.Finish(total);
  const bool ok = Report(figures);
  s.count = paid.load();
  s.note = absl::StrFormat("payments (each: application, approval, payment; %zu county programs)",
                           programs.size());
  if (ok) progress_.Mark("payments", absl::StrCat(total));
  return ok;
}

}  // namespace shouhu::bench
