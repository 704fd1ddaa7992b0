// Registry: what the MGS knows about its file system, and the rules for changing it.
//
// It holds the targets (MDTs and OSTs) that registered, their NIDs and health, and a config
// generation that goes up by one with every change a client must see: a new target, a target
// at a new NID, a target going DOWN or coming back UP. Every such change is written to the
// RegistryStore before it is acknowledged or becomes visible.
//
// Health: a target reports with heartbeats. A periodic check marks a target silent for longer
// than `down_after` DOWN; its next heartbeat or registration brings it back UP. Targets loaded
// at start count as heard from at that moment, so a restarted MGS does not mark them all down
// at once; they must heartbeat within `down_after` like any other.
//
// Long poll: GetConfig with the current generation waits until the next change or its wait
// time, whichever comes first.
//
// Store writes are synchronous on the loop thread: the MGS writes only at registrations and
// state changes (one synced WriteBatch each, about a millisecond), and doing them in line keeps
// every check-then-change step atomic without locks.
//
// Threading: loop-thread only (REQUIRES: loop.InLoopThread() for every call).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/event_loop.h"
#include "common/status.h"
#include "common/task.h"
#include "mgs.pb.h"
#include "mgs/change_waiters.h"
#include "mgs/registry_store.h"

namespace weft::mgs {

class Registry {
 public:
  struct Options {
    std::string fsname;  // REQUIRES: valid (CheckFsname)
    Clock::duration down_after = std::chrono::milliseconds(15000);
    Layout default_layout;
    // The longest a GetConfig waits for a change, whatever it asks for.
    Clock::duration max_wait = std::chrono::seconds(60);
  };

  // Loads the registry from `store` and starts the periodic down check on `loop`.
  // REQUIRES: on loop's thread; `store` outlives the registry.
  static Result<std::unique_ptr<Registry>> Open(EventLoop& loop, RegistryStore& store,
                                                Options options);
  // Stops (see Stop). REQUIRES: no GetConfig is still running.
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registers a target, or re-registers one (same uuid: a restart, maybe at a new NID).
  // Errors: kInvalidArgument naming the field, kMgsFsnameMismatch, kMgsIndexConflict when
  // another uuid holds the index, kMgsStoreError (nothing changed).
  Result<RegisterTargetReply> RegisterTarget(const RegisterTargetRequest& request);

  // Records that a registered target is alive, with its space. Errors: kInvalidArgument,
  // kMgsFsnameMismatch, kNotFound for a target that has not registered, kMgsIndexConflict for
  // another uuid, kMgsStoreError.
  Result<HeartbeatReply> Heartbeat(const HeartbeatRequest& request);

  // The configuration. When request.known_generation() is the current generation and
  // wait_ms > 0, first waits for a change, at most min(wait_ms, max_wait) and not past
  // `deadline`. A wrong fsname is refused at once; an empty one means this MGS's.
  Task<Result<GetConfigReply>> GetConfig(const GetConfigRequest& request,
                                         Clock::time_point deadline);

  // Ends every waiting GetConfig (each answers with the current configuration), makes later
  // ones answer at once, and stops the down check. Idempotent.
  void Stop();

  // The configuration now, without waiting.
  GetConfigReply Config() const;
  uint64_t generation() const { return generation_; }
  size_t size() const { return targets_.size(); }
  // How many targets have each (type, state), for the weft_mgs_targets gauges.
  std::map<std::pair<TargetType, TargetState>, size_t> CountTargets() const;
  // Called after every change of the generation (metrics hook). Optional.
  void set_on_change(std::function<void()> fn) { on_change_ = std::move(fn); }

 private:
  struct Entry {
    TargetInfo info;
    Clock::time_point last_heard;  // when the MGS last heard from it (or started)
  };
  using Key = std::pair<int, uint32_t>;  // (type, index)

  Registry(EventLoop& loop, RegistryStore& store, Options options);
  Status Load();
  Status CheckFsnameMatches(const std::string& fsname, const std::string& target) const;
  Result<Entry*> FindForHeartbeat(const HeartbeatRequest& request);
  // Writes `target` (with the generation bumped when `bump`) and then applies it in memory.
  Status Commit(const TargetInfo& target, bool bump);
  void ScheduleDownCheck();
  void MarkSilentTargetsDown();

  EventLoop& loop_;
  RegistryStore& store_;
  Options options_;
  std::map<Key, Entry> targets_;
  uint64_t generation_ = 0;
  ChangeWaiters waiters_;
  std::optional<EventLoop::TimerId> down_check_timer_;
  bool stopped_ = false;
  std::function<void()> on_change_;
};

}  // namespace weft::mgs
