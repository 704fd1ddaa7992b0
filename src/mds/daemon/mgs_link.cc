#include "mds/daemon/mgs_link.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include "mgs/mgs_service.h"

namespace weft::mds {
namespace {

constexpr Clock::duration kRetryInterval = std::chrono::seconds(1);
constexpr uint32_t kConfigWaitMs = 2000;  // bounds how long Stop waits for the long poll

// Unreachable or busy MGS: worth trying again. Anything else is the MGS's answer.
bool Retryable(const Status& st) {
  switch (st.code()) {
    case StatusCode::kRpcDeadlineExceeded:
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout:
    case StatusCode::kFabricError:
    case StatusCode::kRpcShutdown:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<std::unique_ptr<MgsLink>> MgsLink::Open(EventLoop& loop, Options options, Mdt& mdt,
                                               BlockingPool& pool,
                                               RoundRobinOstAllocator& allocator) {
  WEFT_ASSIGN_OR_RETURN(Nid nid, ParseNid(options.label.mgs));
  nid = nid.WithDefaultPort(mgs::kDefaultMgsPort);
  rpc::RpcClient::Options o;
  o.net = nid.net;
  o.host_hint = nid.host;
  o.default_timeout = std::chrono::seconds(5);
  o.attempt_timeout = std::chrono::seconds(4);
  std::unique_ptr<MgsLink> link(new MgsLink(loop, std::move(options), mdt, pool, allocator));
  WEFT_ASSIGN_OR_RETURN(link->client_, rpc::RpcClient::Open(loop, o));
  WEFT_ASSIGN_OR_RETURN(link->mgs_, link->client_->AddPeer(nid));
  return link;
}

MgsLink::~MgsLink() = default;

Task<Status> MgsLink::Register() {
  const TargetLabel& l = options_.label;
  mgs::RegisterTargetRequest request;
  request.set_fsname(l.fsname);
  request.set_type(mgs::MDT);
  request.set_index(l.index);
  request.set_uuid(l.uuid);
  request.set_nid(options_.nid);
  mgs::MgsService::Stub stub(client_.get(), mgs_);
  ++running_;
  Status st = Status(StatusCode::kCancelled, "stopped before registering with the MGS");
  for (bool warned = false; !stopping_;) {
    Result<mgs::RegisterTargetReply> reply = co_await stub.RegisterTarget(request);
    st = reply.status();
    if (st.ok() || !Retryable(st)) break;
    if (!warned) spdlog::warn("mds: MGS at {} unreachable ({}); retrying", l.mgs, st.ToString());
    warned = true;
    co_await Pause(kRetryInterval);
  }
  --running_;
  if (stopping_ && !st.ok()) co_return Status(StatusCode::kCancelled, "stopped");
  if (!st.ok()) co_return st;
  loop_.Spawn(HeartbeatLoop());
  loop_.Spawn(ConfigLoop());
  co_return Status::Ok();
}

Task<void> MgsLink::Stop() {
  stopping_ = true;
  while (running_ > 0) co_await loop_.Sleep(std::chrono::milliseconds(20));
}

Task<bool> MgsLink::Pause(Clock::duration d) {
  const Clock::duration step = std::chrono::milliseconds(100);
  for (Clock::time_point end = Clock::now() + d; !stopping_ && Clock::now() < end;) {
    co_await loop_.Sleep(std::min(step, end - Clock::now()));
  }
  co_return !stopping_;
}

Task<mgs::TargetSpace> MgsLink::Space() {
  // Captures by reference only: GCC 12 destroys by-value captures of a lambda temporary in a
  // co_await expression twice.
  const std::string& dir = options_.target_dir;
  Mdt& mdt = mdt_;
  mgs::TargetSpace space = co_await pool_.Run([&dir, &mdt] {
    mgs::TargetSpace space;
    struct statvfs vfs {};
    if (::statvfs(dir.c_str(), &vfs) == 0) {
      space.set_bytes_total(uint64_t{vfs.f_blocks} * vfs.f_frsize);
      space.set_bytes_free(uint64_t{vfs.f_bavail} * vfs.f_frsize);
    }
    Result<StatfsReply> fs = mdt.Statfs(StatfsRequest());
    if (fs.ok()) {
      space.set_inodes_total(fs->inodes_total());
      space.set_inodes_free(fs->inodes_free());
    }
    return space;
  });
  co_return space;
}

Task<void> MgsLink::HeartbeatLoop() {
  ++running_;
  mgs::MgsService::Stub stub(client_.get(), mgs_);
  const TargetLabel& l = options_.label;
  while (co_await Pause(options_.heartbeat_interval)) {
    mgs::HeartbeatRequest request;
    request.set_fsname(l.fsname);
    request.set_type(mgs::MDT);
    request.set_index(l.index);
    request.set_uuid(l.uuid);
    *request.mutable_space() = co_await Space();
    Result<mgs::HeartbeatReply> reply = co_await stub.Heartbeat(request);
    if (!reply.ok()) spdlog::warn("mds: heartbeat to the MGS: {}", reply.status().ToString());
  }
  --running_;
}

Task<void> MgsLink::ConfigLoop() {
  ++running_;
  mgs::MgsService::Stub stub(client_.get(), mgs_);
  uint64_t known = 0;
  while (!stopping_) {
    mgs::GetConfigRequest request;
    request.set_fsname(options_.label.fsname);
    request.set_known_generation(known);
    request.set_wait_ms(known == 0 ? 0 : kConfigWaitMs);
    Result<mgs::GetConfigReply> config = co_await stub.GetConfig(request);
    if (!config.ok()) {
      spdlog::warn("mds: configuration from the MGS: {}", config.status().ToString());
      co_await Pause(kRetryInterval);
      continue;
    }
    // Applied on every answer, not only on a new generation: free space changes without one.
    ApplyConfig(*config, config->generation() != known);
    known = config->generation();
  }
  --running_;
}

void MgsLink::ApplyConfig(const mgs::GetConfigReply& config, bool log) {
  std::vector<OstState> osts;
  for (const mgs::TargetInfo& t : config.targets()) {
    if (t.type() != mgs::OST) continue;
    osts.push_back(OstState{t.index(), t.state() == mgs::UP, t.space().bytes_free()});
  }
  size_t active = 0;
  for (const OstState& o : osts) active += o.active ? 1 : 0;
  if (log) {
    spdlog::info("mds: configuration generation {}: {} OSTs, {} active", config.generation(),
                 osts.size(), active);
  }
  allocator_.Update(std::move(osts));
  mdt_.SetFsDefaultLayout(config.default_layout().stripe_size(),
                          config.default_layout().stripe_count());
  if (options_.on_config) options_.on_config(config);
}

}  // namespace weft::mds
