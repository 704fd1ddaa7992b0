#include "mgs/registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "mgs/mgs_service.h"
#include "mgs/request_checks.h"

namespace weft::mgs {
namespace {

using std::chrono::milliseconds;

int64_t NowUnixMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t ToMs(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

Status Conflict(const TargetInfo& holder) {
  return Status(StatusCode::kMgsIndexConflict, holder.name() + " is already registered by uuid " +
                                                   holder.uuid() + " (from NID " + holder.nid() +
                                                   "); reformat the target or pick another index");
}

// The target as a registration leaves it: UP, at the NID it gave, seen now.
TargetInfo RegisteredTarget(const RegisterTargetRequest& request, const std::string& name,
                            const std::string& nid) {
  TargetInfo target;
  target.set_type(request.type());
  target.set_index(request.index());
  target.set_uuid(request.uuid());
  target.set_name(name);
  target.set_nid(nid);
  target.set_state(UP);
  target.set_last_seen_unix_ms(NowUnixMs());
  return target;
}

}  // namespace

Registry::Registry(EventLoop& loop, RegistryStore& store, Options options)
    : loop_(loop), store_(store), options_(std::move(options)), waiters_(loop) {}

Registry::~Registry() { Stop(); }

Result<std::unique_ptr<Registry>> Registry::Open(EventLoop& loop, RegistryStore& store,
                                                 Options options) {
  std::unique_ptr<Registry> r(new Registry(loop, store, std::move(options)));
  WEFT_RETURN_IF_ERROR(r->Load());
  r->ScheduleDownCheck();
  return r;
}

// Loaded targets come back UP, heard from now. One stored DOWN is a change: written with one
// bump of the generation for all of them.
Status Registry::Load() {
  WEFT_ASSIGN_OR_RETURN(StoredRegistry stored, store_.Load());
  generation_ = stored.generation;
  Clock::time_point now = Clock::now();
  bool revived = false;
  for (TargetInfo& t : stored.targets) {
    revived = revived || t.state() != UP;
    t.set_last_seen_unix_ms(NowUnixMs());  // as the status table shows it: heard from now
    Key key{t.type(), t.index()};
    targets_[key] = Entry{std::move(t), now};
  }
  if (!revived) return Status::Ok();
  uint64_t next = generation_ + 1;
  for (auto& [key, entry] : targets_) {
    if (entry.info.state() == UP) continue;
    entry.info.set_state(UP);
    WEFT_RETURN_IF_ERROR(store_.Put(entry.info, next));
  }
  generation_ = next;
  return Status::Ok();
}

void Registry::Stop() {
  stopped_ = true;
  if (down_check_timer_) loop_.CancelTimer(*std::exchange(down_check_timer_, std::nullopt));
  waiters_.WakeAll();
}

Status Registry::CheckFsnameMatches(const std::string& fsname, const std::string& target) const {
  if (fsname == options_.fsname) return Status::Ok();
  return Status(StatusCode::kMgsFsnameMismatch,
                target + " belongs to file system '" + fsname + "', but this MGS serves '" +
                    options_.fsname + "'; point it at the MGS of its own file system");
}

Result<RegisterTargetReply> Registry::RegisterTarget(const RegisterTargetRequest& request) {
  WEFT_RETURN_IF_ERROR(CheckRegisterTargetRequest(request));
  std::string name = TargetName(request.fsname(), request.type(), request.index());
  WEFT_RETURN_IF_ERROR(CheckFsnameMatches(request.fsname(), "target " + name));
  WEFT_ASSIGN_OR_RETURN(Nid nid, CheckTargetNid(request.nid()));
  auto it = targets_.find({request.type(), request.index()});
  bool known = it != targets_.end();
  if (known && it->second.info.uuid() != request.uuid()) return Conflict(it->second.info);
  TargetInfo target = RegisteredTarget(request, name, nid.ToString());
  bool changed = !known || it->second.info.nid() != target.nid() || it->second.info.state() != UP;
  if (known) *target.mutable_space() = it->second.info.space();
  WEFT_RETURN_IF_ERROR(Commit(target, changed));
  targets_[{request.type(), request.index()}].last_heard = Clock::now();
  spdlog::info("mgs: {} registered: uuid {} at {} (generation {})", name, request.uuid(),
               target.nid(), generation_);
  RegisterTargetReply reply;
  *reply.mutable_target() = std::move(target);
  reply.set_generation(generation_);
  return reply;
}

Result<Registry::Entry*> Registry::FindForHeartbeat(const HeartbeatRequest& request) {
  std::string name = TargetName(request.fsname(), request.type(), request.index());
  WEFT_RETURN_IF_ERROR(CheckFsnameMatches(request.fsname(), "target " + name));
  auto it = targets_.find({request.type(), request.index()});
  if (it == targets_.end()) {
    return Status(StatusCode::kNotFound, name + " is not registered with this MGS; the target " +
                                             "must register (restart it) before it heartbeats");
  }
  if (it->second.info.uuid() != request.uuid()) return Conflict(it->second.info);
  return &it->second;
}

Result<HeartbeatReply> Registry::Heartbeat(const HeartbeatRequest& request) {
  WEFT_RETURN_IF_ERROR(CheckHeartbeatRequest(request));
  WEFT_ASSIGN_OR_RETURN(Entry * entry, FindForHeartbeat(request));
  entry->last_heard = Clock::now();
  entry->info.set_last_seen_unix_ms(NowUnixMs());
  *entry->info.mutable_space() = request.space();
  if (entry->info.state() != UP) {
    TargetInfo up = entry->info;
    up.set_state(UP);
    WEFT_RETURN_IF_ERROR(Commit(up, true));
    spdlog::info("mgs: {} is UP again (generation {})", up.name(), generation_);
  }
  HeartbeatReply reply;
  reply.set_generation(generation_);
  return reply;
}

Task<Result<GetConfigReply>> Registry::GetConfig(const GetConfigRequest& request,
                                                 Clock::time_point deadline) {
  WEFT_CO_RETURN_IF_ERROR(CheckGetConfigRequest(request));
  if (!request.fsname().empty() && request.fsname() != options_.fsname) {
    co_return Status(StatusCode::kMgsFsnameMismatch,
                     "this MGS serves file system '" + options_.fsname + "', not '" +
                         request.fsname() + "'; check the file system name in the mount source");
  }
  if (request.known_generation() == generation_ && request.wait_ms() > 0 && !stopped_) {
    Clock::duration wait =
        std::min<Clock::duration>(milliseconds(request.wait_ms()), options_.max_wait);
    co_await waiters_.WaitUntil(std::min(Clock::now() + wait, deadline));
  }
  co_return Config();
}

GetConfigReply Registry::Config() const {
  GetConfigReply reply;
  reply.set_fsname(options_.fsname);
  reply.set_generation(generation_);
  for (const auto& [key, entry] : targets_) *reply.add_targets() = entry.info;
  *reply.mutable_default_layout() = options_.default_layout;
  return reply;
}

std::map<std::pair<TargetType, TargetState>, size_t> Registry::CountTargets() const {
  std::map<std::pair<TargetType, TargetState>, size_t> counts;
  for (const auto& [key, entry] : targets_) ++counts[{entry.info.type(), entry.info.state()}];
  return counts;
}

Status Registry::Commit(const TargetInfo& target, bool bump) {
  uint64_t generation = generation_ + (bump ? 1 : 0);
  WEFT_RETURN_IF_ERROR(store_.Put(target, generation));
  targets_[{target.type(), target.index()}].info = target;
  if (!bump) return Status::Ok();
  generation_ = generation;
  waiters_.WakeAll();
  if (on_change_) on_change_();
  return Status::Ok();
}

// Checks a few times per down_after interval, so a silent target is marked within about
// 1.25 intervals; at most once a second.
void Registry::ScheduleDownCheck() {
  Clock::duration period = std::clamp<Clock::duration>(options_.down_after / 4, milliseconds(10),
                                                       std::chrono::seconds(1));
  down_check_timer_ = loop_.AddTimer(Clock::now() + period, [this] {
    down_check_timer_.reset();
    MarkSilentTargetsDown();
    if (!stopped_) ScheduleDownCheck();
  });
}

void Registry::MarkSilentTargetsDown() {
  Clock::time_point now = Clock::now();
  for (auto& [key, entry] : targets_) {
    if (entry.info.state() != UP || now - entry.last_heard <= options_.down_after) continue;
    TargetInfo down = entry.info;
    down.set_state(DOWN);
    Status s = Commit(down, true);
    if (!s.ok()) {
      spdlog::error("mgs: cannot mark {} DOWN: {}", down.name(), s.ToString());
      continue;
    }
    spdlog::warn("mgs: {} at {} is DOWN: silent for {} ms (generation {})", down.name(), down.nid(),
                 ToMs(now - entry.last_heard), generation_);
  }
}

}  // namespace weft::mgs
