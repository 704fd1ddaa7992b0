#include "mds/daemon/destroy_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
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
  uint64_t ino;
  Status operator()() const { return mdt->DestroyDone(ino); }
};

struct FreshJob {
  Mdt* mdt;
  const std::vector<uint64_t>* inos;
  Result<std::vector<DestroyItem>> operator()() const {
    std::vector<DestroyItem> items;
    for (uint64_t ino : *inos) {
      WEFT_ASSIGN_OR_RETURN(std::optional<DestroyItem> item, mdt->GetDestroyItem(ino));
      if (item) items.push_back(std::move(*item));
    }
    return items;
  }
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
                         "Object Destroy calls the MDS sent and the OSS acknowledged")
                .With({})),
      failed_(MetricsRegistry::Global()
                  .Counter("weft_mds_destroys_failed_total",
                           "Object Destroy calls that failed (retried later)")
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

void DestroyWorker::Wake(uint64_t ino) {
  queue_gauge_.Add(1);
  DestroyWorker* self = this;
  loop_.Post([self, ino] {
    self->fresh_.push_back(ino);
    self->wake_.Notify();
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
    } else if (!fresh_.empty()) {
      std::vector<uint64_t> inos;
      inos.swap(fresh_);
      Pass pass = co_await DrainFresh(std::move(inos));
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

Task<DestroyWorker::Pass> DestroyWorker::DrainFresh(std::vector<uint64_t> inos) {
  Pass pass;
  Result<std::vector<DestroyItem>> items = co_await pool_.Run(FreshJob{&mdt_, &inos});
  if (!items.ok()) {
    spdlog::error("mds: destroy worker: reading new items: {}", items.status().ToString());
    pass.failed = true;
    co_return pass;
  }
  co_await Launch(std::move(items).value(), &pass);
  while (in_flight_ > 0) co_await slot_.Wait(std::chrono::seconds(1));
  co_return pass;
}

Task<void> DestroyWorker::Launch(std::vector<DestroyItem> items, Pass* pass) {
  for (DestroyItem& item : items) {
    while (in_flight_ >= options_.in_flight) co_await slot_.Wait(std::chrono::seconds(1));
    if (stopping_) break;
    ++in_flight_;
    loop_.Spawn(DestroyFile(std::move(item), pass));
  }
}

Task<void> DestroyWorker::DestroyFile(DestroyItem item, Pass* pass) {
  Outcome outcome = co_await DestroyObjects(item);
  if (outcome == Outcome::kDone) {
    Status st = co_await pool_.Run(DoneJob{&mdt_, item.ino});
    if (st.ok()) {
      queue_gauge_.Add(-1);
    } else {
      spdlog::error("mds: destroy worker: dequeuing inode {}: {}", item.ino, st.ToString());
      outcome = Outcome::kFailed;
    }
  }
  if (outcome == Outcome::kFailed) pass->failed = true;
  if (outcome == Outcome::kWaiting) pass->waiting = true;
  --in_flight_;
  slot_.Notify();
}

Task<DestroyWorker::Outcome> DestroyWorker::DestroyObjects(const DestroyItem& item) {
  const auto& objects = item.layout.objects();
  for (int stripe = 0; stripe < objects.size(); ++stripe) {
    uint32_t index = objects[stripe].ost_index();
    auto it = osts_.find(index);
    if (it == osts_.end() || !it->second.up || it->second.nid.empty()) co_return Outcome::kWaiting;
    oss::DestroyRequest request;
    request.set_ost_index(index);
    request.mutable_object()->set_inode(objects[stripe].object_id());
    request.mutable_object()->set_stripe(static_cast<uint64_t>(stripe));
    oss::OssService::Stub stub(client_.get(), it->second.peer);
    Result<oss::DestroyReply> reply = co_await stub.Destroy(request);
    if (!reply.ok()) {
      failed_.Increment();
      spdlog::warn("mds: destroy of inode {} stripe {} on OST {} at {}: {}; will retry",
                   item.ino, stripe, index, it->second.nid, reply.status().ToString());
      co_return Outcome::kFailed;
    }
    sent_.Increment();
  }
  co_return Outcome::kDone;
}

}  // namespace weft::mds
