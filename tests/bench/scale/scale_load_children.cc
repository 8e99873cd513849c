// The scale loader's the children: one roster import stream per county (scale_loader.h).
#include "tests/bench/scale/scale_loader.h"

namespace shouhu::bench {

// One county's roster, sent as calls of kChunksPerCall chunks under the county's import id.
bool Loader::ImportCounty(const County& county, std::atomic<int64_t>& sent,
                          reg::ImportRosterResponse& total) {
  auto stub = reg::RosterService::NewStub(ChannelFor(std::hash<std::string>()(county.code)));
  const int64_t chunks = (county.children + kRosterChunkRows - 1) / kRosterChunkRows;
  for (int64_t first = 1; first <= chunks; first += kChunksPerCall) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + Token("officer"));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    reg::ImportRosterResponse answer;
    auto writer = stub->ImportRoster(&context, &answer);
    reg::ImportRosterRequest header;
    header.mutable_header()->set_import_id(absl::StrCat("scale-", county.code, "-", county.children));
    header.mutable_header()->set_county_code(county.code);
    bool writing = writer->Write(header);
    for (int64_t chunk = first; writing && chunk < std::min(chunks + 1, first + kChunksPerCall); ++chunk) {
      reg::ImportRosterRequest request;
      request.mutable_chunk()->set_chunk_number(chunk);
      const int64_t from = (chunk - 1) * kRosterChunkRows;
      const int64_t to = std::min(county.children, from + kRosterChunkRows);
      for (int64_t n = from; n < to; ++n) *request.mutable_chunk()->add_rows() = ChildRow(county, n);
      writing = writer->Write(request);
      sent += to - from;
    }
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    if (!status.ok()) {
      std::fprintf(stderr, "\n!!! ImportRoster %s failed: code %d: %s\n", county.code.c_str(),
                   static_cast<int>(status.error_code()), status.error_message().c_str());
      return false;
    }
    std::lock_guard<std::mutex> lock(mu_);
    total.set_created(total.created() + answer.created());
    total.set_matched(total.matched() + answer.matched());
    total.set_rejected(total.rejected() + answer.rejected());
    for (const auto& r : answer.rejections()) {
      if (total.rejections_size() < 5) *total.add_rejections() = r;
    }
  }
  return true;
}

bool Loader::Children(Summary& s) {
  std::vector<const County*> todo;
  int64_t rows = 0, skipped = 0;
  for (const County& c : counties_) {
    if (progress_.Done("children", c.code)) {
      skipped += c.children;
      continue;
    }
    todo.push_back(&c);
    rows += c.children;
  }
  // The largest counties first, so the last streams do not wait on one big county.
  std::sort(todo.begin(), todo.end(),
            [](const County* a, const County* b) { return a->children > b->children; });
  admin::ProgressBar bar(std::cerr, rows, "children");
  std::atomic<int64_t> sent{0};
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  reg::ImportRosterResponse total;
  std::vector<std::thread> streams;
  for (int t = 0; t < std::max(1, absl::GetFlag(FLAGS_streams)); ++t) {
    streams.emplace_back([&] {
      for (size_t i = next++; i < todo.size() && !failed; i = next++) {
        if (!ImportCounty(*todo[i], sent, total)) {
          failed = true;
          return;
        }
        progress_.Mark("children", todo[i]->code);
      }
    });
  }
  std::atomic<bool> finished{false};
  std::thread drawer([&] {
    while (!finished) {
      bar.Update(sent.load());
      absl::SleepFor(absl::Milliseconds(250));
    }
  });
  for (auto& t : streams) t.join();
  finished = true;
  drawer.join();
  bar.Finish(sent.load());
  s.count = total.created() + total.matched();
  s.note = absl::StrFormat(
      "(%lld created, %lld already there, %lld rejected; %lld in counties loaded before; %d streams, "
      "chunks of %d)",
      static_cast<long long>(total.created()), static_cast<long long>(total.matched()),
      static_cast<long long>(total.rejected()), static_cast<long long>(skipped), absl::GetFlag(FLAGS_streams),
      kRosterChunkRows);
  for (const auto& r : total.rejections()) {
    std::fprintf(stderr, "!!! rejected row %lld: %s: %s\n", static_cast<long long>(r.row_number()),
                 r.field().c_str(), r.reason().c_str());
  }
  return !failed && total.rejected() == 0;
}

}  // namespace shouhu::bench
