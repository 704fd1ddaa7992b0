#include "client/cluster.h"

#include <spdlog/spdlog.h>

namespace weft::client {

Cluster::Cluster(EventLoop& loop, MountSource source, ClientOptions options)
    : loop_(loop), source_(std::move(source)), options_(options), follower_(loop) {}

Cluster::~Cluster() = default;

Task<Result<std::unique_ptr<Cluster>>> Cluster::Connect(EventLoop& loop, MountSource source,
                                                        ClientOptions options) {
  std::unique_ptr<Cluster> self(new Cluster(loop, std::move(source), options));
  rpc::RpcClient::Options ro;
  ro.net = self->source_.mgs.front().net;
  ro.host_hint = self->source_.mgs.front().host;
  ro.default_timeout = options.call_timeout;
  ro.attempt_timeout = options.attempt_timeout;
  WEFT_CO_ASSIGN_OR_RETURN(self->rpc_, rpc::RpcClient::Open(loop, ro));
  for (const Nid& nid : self->source_.mgs) {
    Result<rpc::PeerId> peer = self->rpc_->AddPeer(nid);
    if (!peer.ok()) co_return peer.status().WithContext("MGS " + nid.ToString());
    self->mgs_peers_.push_back(*peer);
  }
  Result<mgs::GetConfigReply> config =
      co_await self->FetchConfig(0, 0, options.call_timeout);
  if (!config.ok()) co_return config.status().WithContext("mounting " + self->source_.fsname);
  WEFT_CO_RETURN_IF_ERROR(self->Apply(*config));
  if (self->mdts_.empty()) {
    co_return Status(StatusCode::kUnavailable,
                     "no MDT of file system " + self->source_.fsname +
                         " is registered with the MGS; start weft-mds and mount again");
  }
  self->follower_.Add();
  loop.Spawn(Follow(self.get()));
  co_return std::move(self);
}

// Tries the MGSes in turn, one attempt each, until one answers or `timeout` passes. An answer
// that is an error from the MGS itself (e.g. another file system) ends the search.
Task<Result<mgs::GetConfigReply>> Cluster::FetchConfig(uint64_t known, uint32_t wait_ms,
                                                       Clock::duration timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  mgs::GetConfigRequest req;
  req.set_fsname(source_.fsname);
  req.set_known_generation(known);
  req.set_wait_ms(wait_ms);
  Status last;
  do {
    rpc::CallOptions co;
    co.timeout = options_.attempt_timeout + std::chrono::milliseconds(wait_ms);
    mgs::MgsService::Stub stub(rpc_.get(), mgs_peers_[mgs_current_]);
    Result<mgs::GetConfigReply> reply = co_await stub.GetConfig(req, co);
    if (reply.ok()) co_return reply;
    last = reply.status();
    if (last.code() != StatusCode::kRpcDeadlineExceeded &&
        last.code() != StatusCode::kFabricError) {
      co_return last;
    }
    mgs_current_ = (mgs_current_ + 1) % mgs_peers_.size();
  } while (Clock::now() < deadline);
  co_return last.WithContext("no MGS of " + std::to_string(mgs_peers_.size()) + " answered");
}

Status Cluster::ApplyTarget(const mgs::TargetInfo& info, std::map<uint32_t, Target>* targets) {
  Target& t = (*targets)[info.index()];
  t.up = info.state() == mgs::UP;
  if (t.nid == info.nid()) return Status::Ok();
  WEFT_ASSIGN_OR_RETURN(Nid nid, ParseNid(info.nid()));
  Result<rpc::PeerId> peer = rpc_->AddPeer(nid);
  if (!peer.ok()) return peer.status().WithContext(info.name());
  if (!t.nid.empty()) spdlog::info("weft client: {} moved to {}", info.name(), info.nid());
  t.nid = info.nid();
  t.peer = *peer;
  return Status::Ok();
}

Status Cluster::Apply(const mgs::GetConfigReply& config) {
  for (const mgs::TargetInfo& info : config.targets()) {
    bool ost = info.type() == mgs::OST;
    Target* before = nullptr;
    if (ost && osts_.count(info.index()) != 0) before = &osts_[info.index()];
    bool was_up = before != nullptr && before->up;
    WEFT_RETURN_IF_ERROR(ApplyTarget(info, ost ? &osts_ : &mdts_));
    Target& t = ost ? osts_[info.index()] : mdts_[info.index()];
    if (ost && !t.slots) t.slots = std::make_unique<AsyncSemaphore>(loop_, options_.max_rpcs_in_flight);
    if (before != nullptr && was_up && !t.up) spdlog::warn("weft client: {} is down", info.name());
  }
  generation_ = config.generation();
  return Status::Ok();
}

Task<void> Cluster::Follow(Cluster* self) {
  bool warned = false;
  while (!self->stopping_) {
    auto wait = static_cast<uint32_t>(self->options_.config_poll.count());
    Result<mgs::GetConfigReply> config =
        co_await self->FetchConfig(self->generation_, wait, self->options_.attempt_timeout);
    if (self->stopping_) break;
    Status st = config.ok() ? self->Apply(*config) : config.status();
    if (st.ok()) {
      warned = false;
      continue;
    }
    if (!warned) spdlog::warn("weft client: following the MGS configuration: {}", st.ToString());
    warned = true;
    co_await self->loop_.Sleep(std::chrono::milliseconds(200));
  }
  self->follower_.Done(Status::Ok());
}

Task<void> Cluster::Stop() {
  stopping_ = true;
  Status ignored = co_await follower_.Wait();
  ignored.IgnoreError();
}

Result<mds::MdsService::Stub> Cluster::Mdt(uint64_t ino) const {
  auto index = static_cast<uint32_t>(ino >> 48);
  auto it = mdts_.find(index);
  if (it == mdts_.end()) {
    return Status(StatusCode::kUnavailable, "inode " + std::to_string(ino) + " is on MDT " +
                                                std::to_string(index) +
                                                ", which the MGS configuration does not list");
  }
  return mds::MdsService::Stub(rpc_.get(), it->second.peer);
}

Task<Result<OstLink>> Cluster::Ost(uint32_t index) {
  Clock::time_point deadline = Clock::now() + options_.call_timeout;
  while (osts_.count(index) == 0) {
    if (Clock::now() >= deadline || stopping_) {
      co_return Status(StatusCode::kUnavailable,
                       "OST index " + std::to_string(index) +
                           " is not in the MGS configuration; start its weft-oss");
    }
    co_await loop_.Sleep(std::chrono::milliseconds(50));
  }
  Target& t = osts_[index];
  co_return OstLink{oss::OssService::Stub(rpc_.get(), t.peer), t.slots.get()};
}

std::map<uint32_t, bool> Cluster::OstStates() const {
  std::map<uint32_t, bool> states;
  for (const auto& [index, t] : osts_) states[index] = t.up;
  return states;
}

rpc::CallOptions Cluster::CallOptions() const {
  rpc::CallOptions o;
  o.timeout = options_.call_timeout;
  return o;
}

}  // namespace weft::client
