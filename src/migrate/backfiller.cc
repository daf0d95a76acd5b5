#include "migrate/backfiller.h"

#include <algorithm>
#include <chrono>

#include "migrate/table_ops.h"

namespace godwit::migrate {
namespace {

constexpr size_t kScanPage = 200;

}  // namespace

Backfiller::Backfiller(Run* run, std::shared_ptr<Table> source,
                       std::shared_ptr<Table> destination, KeyMap* keys,
                       MapperFactory* mappers, ItemErrorSink* errors,
                       RateLimiter* limiter, std::function<void()> on_done)
    : run_(run),
      source_(std::move(source)),
      destination_(std::move(destination)),
      keys_(keys),
      mappers_(mappers),
      errors_(errors),
      limiter_(limiter),
      on_done_(std::move(on_done)) {}

int Backfiller::TakeSegment() {
  MutexLock lock(&mu_);
  int next = next_segment_;
  int seg = -1;
  run_->Read([&](const RunState& s) {
    int total = static_cast<int>(s.segments.size());
    while (next < total && s.segments[static_cast<size_t>(next)].done) ++next;
    if (next < total) seg = next++;
  });
  next_segment_ = next;
  return seg;
}

void Backfiller::Worker() {
  Result<std::unique_ptr<ItemMapper>> mapper = mappers_->NewMapper();
  if (!mapper.ok()) return run_->Fail(mapper.status());
  while (!run_->stopping()) {
    int seg = TakeSegment();
    if (seg < 0) return;
    Status s = CopySegment(mapper->get(), seg);
    if (!s.ok()) {
      if (s.code() != StatusCode::kCancelled) run_->Fail(s);
      return;
    }
  }
}

Status Backfiller::CopySegment(ItemMapper* mapper, int seg) {
  const KeySchema& src_schema = source_->key_schema();
  const KeySchema& dest_schema = run_->id().destination_key_schema;
  std::string token;
  int total = 0;
  run_->Read([&](const RunState& s) {
    token = s.segments[static_cast<size_t>(seg)].token;
    total = static_cast<int>(s.segments.size());
  });
  std::vector<Item> outs;
  while (true) {
    while (run_->paused() && !run_->stopping()) {
      run_->SleepFor(std::chrono::milliseconds(20));
    }
    if (run_->stopping()) return Status::Cancelled("stopped");
    ScanOptions so;
    so.segment = seg;
    so.total_segments = total;
    so.limit = kScanPage;
    so.page_token = token;
    ASSIGN_OR_RETURN(Page page, source_->Scan(so));
    // Map the page: images and the source keys they come from.
    std::vector<Item> images;
    std::vector<Item> src_keys;
    std::vector<size_t> image_src;  // image i comes from src_keys[image_src[i]]
    uint64_t dropped = 0;
    for (const Item& item : page.items) {
      bool item_error = false;
      RETURN_IF_ERROR(MapItem(mapper, Direction::kUp, item, src_schema,
                              "backfill", errors_, &outs, &item_error));
      if (item_error) continue;
      if (outs.empty()) {
        ++dropped;
        continue;
      }
      ASSIGN_OR_RETURN(Key src_key, ExtractKey(item, src_schema));
      src_keys.push_back(KeyToItem(src_key, src_schema));
      for (Item& out : outs) {
        images.push_back(std::move(out));
        image_src.push_back(src_keys.size() - 1);
      }
    }
    if (dropped > 0) run_->Update([&](RunState& s) { s.dropped += dropped; });
    // Claim and write in batches: key map first, then the destination.
    uint64_t written = images.size();
    for (size_t b = 0; b < images.size(); b += kMaxBatchWriteItems) {
      size_t e = std::min(images.size(), b + kMaxBatchWriteItems);
      std::vector<KeyMap::Claim> claims;
      std::vector<WriteRequest> batch;
      for (size_t i = b; i < e; ++i) {
        ASSIGN_OR_RETURN(std::string kb, KeyBytes(images[i], dest_schema));
        claims.push_back(
            KeyMap::Claim{std::move(kb), &images[i], &src_keys[image_src[i]]});
      }
      RETURN_IF_ERROR(keys_->ClaimKeys(mapper, claims));
      for (size_t i = b; i < e; ++i) {
        batch.push_back(WriteRequest::Put(std::move(images[i])));
      }
      limiter_->Acquire(static_cast<double>(batch.size()));
      RETURN_IF_ERROR(WriteBatchRetrying(destination_.get(), std::move(batch)));
    }
    // The page's writes are acknowledged: the segment may move past it.
    bool done = page.next_page_token.empty();
    bool all_done = run_->SegmentPageDone(seg, page.next_page_token,
                                          page.items.size(), written, done);
    if (done) {
      if (all_done) {
        RETURN_IF_ERROR(run_->Save());
        if (on_done_) on_done_();
      }
      return Status::OK();
    }
    token = std::move(page.next_page_token);
  }
}

}  // namespace godwit::migrate
