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

Task<void> ReplyTrimmer::Run() {
  while (!task_.stopping()) {
    co_await task_.Sleep(options_.interval);
    if (task_.stopping()) break;
    Status st = co_await pool_.Run(TrimJob{&mdt_, options_.keep});
    if (!st.ok()) spdlog::warn("mds: trimming reply records: {}", st.ToString());
  }
}

}  // namespace weft::mds
