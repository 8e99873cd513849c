// The scale loader's the cases: every county listed, then each ungraded case graded (scale_loader.h).
#include "tests/bench/scale/scale_loader.h"

namespace shouhu::bench {

bool Loader::Cases(Summary& s) {
  std::vector<ChildRecord> children;
  std::mutex found_mu;
  const std::vector<std::string> methods = {"SearchChildren", "SetRiskLevel"};
  admin::ProgressBar listed(std::cerr, static_cast<int64_t>(counties_.size()), "counties listed");
  LoadOptions list;
  list.concurrency = absl::GetFlag(FLAGS_concurrency);
  list.requests = static_cast<int64_t>(counties_.size());
  list.progress = [&](int64_t done) { listed.Update(done); };
  LoadFigures listing = RunLoad(list, methods, [&](int, int64_t n, CallLog& log) {
    const County& county = counties_[static_cast<size_t>(n)];
    auto stub = reg::RegistryService::NewStub(ChannelFor(n));
    std::string token;
    std::vector<ChildRecord> mine;
    do {
      reg::SearchChildrenRequest request;
      request.set_division_prefix(county.code);
      request.set_purpose("风险分级与探访安排");  // risk grading and visit planning
      request.set_page_size(500);
      request.set_page_token(token);
      reg::SearchChildrenResponse response;
      if (!log.Timed(0,
                     [&] {
                       return LoadCallAs(*stub, &reg::RegistryService::Stub::SearchChildren, Token("officer"),
                                         request, &response);
                     })
               .ok()) {
        return;
      }
      for (const reg::Child& c : response.children()) {
        mine.push_back({c.child_id(), c.current_case_id(), c.household().village_code(),
                        absl::StrCat(c.categories_size() > 0 ? c.categories(0) : 0),
                        absl::StrCat(static_cast<int>(c.risk_level()))});
      }
      token = response.next_page_token();
    } while (!token.empty());
    std::lock_guard<std::mutex> lock(found_mu);
    children.insert(children.end(), mine.begin(), mine.end());
  });
  listed.Finish(static_cast<int64_t>(counties_.size()));
  if (!Report(listing)) return false;

  std::vector<ChildRecord*> ungraded;
  for (ChildRecord& c : children) {
    if (c.risk == "0" && !c.case_id.empty()) ungraded.push_back(&c);
  }
  admin::ProgressBar bar(std::cerr, static_cast<int64_t>(ungraded.size()), "cases graded");
  LoadOptions grade;
  grade.concurrency = absl::GetFlag(FLAGS_concurrency);
  grade.requests = static_cast<int64_t>(ungraded.size());
  grade.progress = [&](int64_t done) { bar.Update(done); };
  // (RunLoad takes no requests to mean a timed run: with every case graded already there is nothing to run.)
  LoadFigures graded;
  if (!ungraded.empty()) {
    graded = RunLoad(grade, methods, [&](int, int64_t n, CallLog& log) {
      ChildRecord& c = *ungraded[static_cast<size_t>(n)];
      auto stub = reg::RegistryService::NewStub(ChannelFor(n));
      reg::SetRiskLevelRequest request;
      request.set_request_id(absl::StrCat("scale-risk-", c.case_id));
      request.set_case_id(c.case_id);
      request.set_risk_level(RiskOf(c.child_id));
      request.set_reason("首次评估");  // first assessment
      reg::SetRiskLevelResponse response;
      if (log.Timed(1,
                    [&] {
                      return LoadCallAs(*stub, &reg::RegistryService::Stub::SetRiskLevel, Token("officer"),
                                        request, &response);
                    })
              .ok()) {
        c.risk = absl::StrCat(static_cast<int>(request.risk_level()));
      }
    });
  }
  bar.Finish(static_cast<int64_t>(ungraded.size()));
  const bool ok = Report(graded);
  std::sort(children.begin(), children.end(),
            [](const ChildRecord& a, const ChildRecord& b) { return a.child_id < b.child_id; });
  std::ofstream out(dir_ + "/children.tsv");
  for (const ChildRecord& c : children) {
    out << c.child_id << '\t' << c.case_id << '\t' << c.village << '\t' << c.category << '\t' << c.risk
        << '\n';
  }
  s.count = static_cast<int64_t>(ungraded.size());
  s.note = absl::StrFormat("risk levels set (%zu children listed in %.1f s, %zu graded before)",
                           children.size(), listing.seconds, children.size() - ungraded.size());
  return ok;
}

}  // namespace shouhu::bench
