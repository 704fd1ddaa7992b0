#include "mds/daemon/destroy_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <optional>

#include "common/nid.h"
#include "oss/oss_service.h"

namespace weft::mds {
namespace {

// Pool jobs: plain structs, not lambdas (GCC 12 miscompiles capturing lambdas in coroutines).
struct PendingJob {
  Mdt* mdt;
  size_t max;
  uint64_t after;
  Result<std::vector<DestroyItem>> operator()() const { return mdt->PendingDestroys(max, after); }
};

struct DoneJob {
  Mdt* mdt;
  const std::vector<uint64_t>* inos;
  Result<size_t> operator()() const { return mdt->DestroyDone(*inos); }
};

struct LengthJob {
  Mdt* mdt;
  Result<size_t> operator()() const { return mdt->DestroyQueueLength(); }
};

constexpr int kMaxBackoffShift = 5;  // the pause grows to 32 times options.retry

}  // namespace

Result<std::unique_ptr<DestroyWorker>> DestroyWorker::Open(EventLoop& loop, Options options,
                                                           Mdt& mdt, BlockingPool& pool) {
  rpc::RpcClient::Options o;
  o.net = options.net;
  o.host_hint = options.host_hint;
  o.default_timeout = options.rpc_timeout;
  o.attempt_timeout = std::min<Clock::duration>(o.attempt_timeout, options.rpc_timeout);
  std::unique_ptr<DestroyWorker> worker(new DestroyWorker(loop, std::move(options), mdt, pool));
  WEFT_ASSIGN_OR_RETURN(worker->client_, rpc::RpcClient::Open(loop, o));
  return worker;
}

DestroyWorker::DestroyWorker(EventLoop& loop, Options options, Mdt& mdt, BlockingPool& pool)
    : loop_(loop),
      options_(std::move(options)),
      mdt_(mdt),
      pool_(pool),
      wake_(loop),
      slot_(loop),
      queue_gauge_(MetricsRegistry::Global()
                       .Gauge("weft_mds_destroy_queue",
                              "Files whose objects await destruction on the OSTs")
                       .With({})),
      sent_(MetricsRegistry::Global()
                .Counter("weft_mds_destroys_sent_total",
                         "Objects whose destruction the OSS acknowledged (batched, one call per OST)")
                .With({})),
      failed_(MetricsRegistry::Global()
                  .Counter("weft_mds_destroys_failed_total",
                           "Objects whose Destroy call failed (retried later)")
                  .With({})) {}

DestroyWorker::~DestroyWorker() = default;

void DestroyWorker::ApplyConfig(const mgs::GetConfigReply& config) {
  bool news = false;  // an OST came up or moved: waiting files may go now
  for (const mgs::TargetInfo& t : config.targets()) {
    if (t.type() != mgs::OST) continue;
    Ost& ost = osts_[t.index()];
    bool up = t.state() == mgs::UP;
    news |= up && !ost.up;
    ost.up = up;
    if (!ost.nid.empty() && ost.nid == t.nid()) continue;
    Result<Nid> nid = ParseNid(t.nid());
    Result<rpc::PeerId> peer =
        nid.ok() ? client_->AddPeer(nid->WithDefaultPort(oss::kDefaultOssPort)) : nid.status();
    if (!peer.ok()) {
      spdlog::warn("mds: destroy worker: OST {} at '{}': {}", t.index(), t.nid(),
                   peer.status().ToString());
      ost = Ost{};
      continue;
    }
    ost.nid = t.nid();
    ost.peer = *peer;
    news = true;
  }
  if (news) {
    next_scan_ = Clock::now();
    wake_.Notify();
  }
}

void DestroyWorker::Start() {
  running_ = true;
  loop_.Spawn(Run());
}

void DestroyWorker::Wake(const DestroyItem& item) {
  queue_gauge_.Add(1);
  DestroyWorker* self = this;
  loop_.Post([self, item] {
    bool first = self->fresh_.empty();
    if (first) self->fresh_since_ = Clock::now();
    self->fresh_.push_back(item);
    // The worker needs to know of the first (to time the gathering) and of a full batch.
    if (first || self->fresh_.size() >= self->options_.batch) self->wake_.Notify();
  });
}

Task<void> DestroyWorker::Stop() {
  stopping_ = true;
  wake_.Notify();
  while (running_) co_await loop_.Sleep(std::chrono::milliseconds(10));
}

Task<void> DestroyWorker::Run() {
  Result<size_t> length = co_await pool_.Run(LengthJob{&mdt_});
  if (length.ok()) queue_gauge_.Set(static_cast<double>(*length));
  next_scan_ = Clock::now();
  while (!stopping_) {
    if (Clock::now() >= next_scan_) {
      fresh_.clear();  // durable before they were announced: the scan sees them
      Pass pass = co_await DrainQueue();
      backoff_ = pass.failed || pass.waiting ? std::min(backoff_ + 1, kMaxBackoffShift + 1) : 0;
      next_scan_ = Clock::now() + (backoff_ > 0 ? Backoff() : options_.idle_rescan);
    } else if (!fresh_.empty() && fresh_.size() < options_.batch &&
               Clock::now() < fresh_since_ + options_.gather) {
      // A burst of unlinks: let a batch gather rather than send a few files at a time.
      co_await wake_.Wait(fresh_since_ + options_.gather - Clock::now());
    } else if (!fresh_.empty()) {
      std::vector<DestroyItem> items;
      items.swap(fresh_);
      Pass pass = co_await DrainFresh(std::move(items));
      if (pass.failed || pass.waiting) {
        next_scan_ = std::min(next_scan_, Clock::now() + Backoff());
      }
    } else {
      co_await wake_.Wait(next_scan_ - Clock::now());
    }
  }
  while (in_flight_ > 0) co_await slot_.Wait(std::chrono::milliseconds(100));
  running_ = false;
}

Clock::duration DestroyWorker::Backoff() const {
  return options_.retry * (1 << std::clamp(backoff_ - 1, 0, kMaxBackoffShift));
}

Task<DestroyWorker::Pass> DestroyWorker::DrainQueue() {
  Pass pass;
  uint64_t after = 0;
  while (!stopping_) {
    Result<std::vector<DestroyItem>> items =
        co_await pool_.Run(PendingJob{&mdt_, options_.batch, after});
    if (!items.ok()) {
      spdlog::error("mds: destroy worker: reading the queue: {}", items.status().ToString());
      pass.failed = true;
      break;
    }
    bool last = items->size() < options_.batch;
    if (!items->empty()) after = items->back().ino;
    co_await Launch(std::move(items).value(), &pass);
    if (last) break;
  }
  // Waits for this pass's files: `pass` lives in this frame.
  while (in_flight_ > 0) co_await slot_.Wait(std::chrono::seconds(1));
  co_return pass;
}

Task<DestroyWorker::Pass> DestroyWorker::DrainFresh(std::vector<DestroyItem> items) {
  Pass pass;
  co_await Launch(std::move(items), &pass);
  while (in_flight_ > 0) co_await slot_.Wait(std::chrono::seconds(1));
  co_return pass;
}

Task<void> DestroyWorker::Launch(std::vector<DestroyItem> items, Pass* pass) {
  size_t per = std::max<size_t>(options_.batch, 1);
  for (size_t at = 0; at < items.size() && !stopping_; at += per) {
    size_t end = std::min(items.size(), at + per);
    co_await DestroyBatch(std::vector<DestroyItem>(std::make_move_iterator(items.begin() + at),
                                                   std::make_move_iterator(items.begin() + end)),
                          pass);
  }
}

struct DestroyWorker::OstCall {
  uint32_t index = 0;
  rpc::PeerId peer = 0;
  std::string nid;
  oss::DestroyRequest request;
  std::vector<size_t> files;  // positions in the batch of the files with an object here
  Status status;
};

Task<void> DestroyWorker::DestroyBatch(std::vector<DestroyItem> items, Pass* pass) {
  // The calls, per OST, chunked to what one DestroyRequest may name. A file with an object on
  // an OST that is absent or down waits, and sends nothing.
  std::vector<OstCall> calls;
  std::map<uint32_t, size_t> open_call;  // OST index -> the call being filled
  std::vector<bool> done(items.size(), true);
  for (size_t f = 0; f < items.size(); ++f) {
    const auto& objects = items[f].layout.objects();
    bool ready = true;
    for (const StripeObject& o : objects) {
      auto it = osts_.find(o.ost_index());
      ready = ready && it != osts_.end() && it->second.up && !it->second.nid.empty();
    }
    if (!ready) {
      done[f] = false;
      pass->waiting = true;
      continue;
    }
    for (int stripe = 0; stripe < objects.size(); ++stripe) {
      uint32_t index = objects[stripe].ost_index();
      auto slot = open_call.find(index);
      if (slot == open_call.end() ||
          calls[slot->second].request.more_size() >= oss::kMaxDestroyBatch) {
        const Ost& ost = osts_[index];
        calls.push_back(OstCall{index, ost.peer, ost.nid, {}, {}, Status()});
        calls.back().request.set_ost_index(index);
        slot = open_call.insert_or_assign(index, calls.size() - 1).first;
      }
      OstCall& call = calls[slot->second];
      oss::ObjectId* id = call.request.has_object() ? call.request.add_more()
                                                    : call.request.mutable_object();
      id->set_inode(objects[stripe].object_id());
      id->set_stripe(static_cast<uint64_t>(stripe));
      if (call.files.empty() || call.files.back() != f) call.files.push_back(f);
    }
  }
  for (OstCall& call : calls) {
    while (in_flight_ >= std::max<size_t>(options_.in_flight, 1)) {
      co_await slot_.Wait(std::chrono::seconds(1));
    }
    ++in_flight_;
    loop_.Spawn(SendCall(&call));
  }
  // `calls` lives in this frame: wait for every call.
  while (in_flight_ > 0) co_await slot_.Wait(std::chrono::seconds(1));
  for (const OstCall& call : calls) {
    if (call.status.ok()) continue;
    pass->failed = true;
    for (size_t f : call.files) done[f] = false;
  }
  std::vector<uint64_t> inos;
  for (size_t f = 0; f < items.size(); ++f) {
    if (done[f]) inos.push_back(items[f].ino);
  }
  if (inos.empty()) co_return;
  Result<size_t> dequeued = co_await pool_.Run(DoneJob{&mdt_, &inos});
  if (!dequeued.ok()) {
    spdlog::error("mds: destroy worker: dequeuing {} files: {}", inos.size(),
                  dequeued.status().ToString());
    pass->failed = true;
    co_return;
  }
  queue_gauge_.Add(-static_cast<double>(*dequeued));
}

Task<void> DestroyWorker::SendCall(OstCall* call) {
  oss::OssService::Stub stub(client_.get(), call->peer);
  Result<oss::DestroyReply> reply = co_await stub.Destroy(call->request);
  int objects = call->request.more_size() + 1;
  if (reply.ok()) {
    sent_.Increment(static_cast<uint64_t>(objects));
  } else {
    failed_.Increment(static_cast<uint64_t>(objects));
    call->status = reply.status();
    spdlog::warn("mds: destroy of {} objects of {} files on OST {} at {}: {}; will retry",
                 objects, call->files.size(), call->index, call->nid, reply.status().ToString());
  }
  --in_flight_;
  slot_.Notify();
}

}  // namespace weft::mds
