#include "mds/daemon/reply_trimmer.h"

#include <spdlog/spdlog.h>

namespace weft::mds {
namespace {

// A pool job: a plain struct, not a lambda (GCC 12 and lambdas in coroutines, see mds_service).
struct TrimJob {
  Mdt* mdt;
  uint64_t keep;
  Status operator()() const { return mdt->TrimReplies(keep); }
};

}  // namespace

void ReplyTrimmer::Start() {
  running_ = true;
  loop_.Spawn(Run());
}

Task<void> ReplyTrimmer::Stop() {
  stopping_ = true;
  stop_.Notify();
  while (running_) co_await loop_.Sleep(std::chrono::milliseconds(10));
}

Task<void> ReplyTrimmer::Run() {
  while (!stopping_) {
    co_await stop_.Wait(options_.interval);
    if (stopping_) break;
    Status st = co_await pool_.Run(TrimJob{&mdt_, options_.keep});
    if (!st.ok()) spdlog::warn("mds: trimming reply records: {}", st.ToString());
  }
  running_ = false;
}

}  // namespace weft::mds
