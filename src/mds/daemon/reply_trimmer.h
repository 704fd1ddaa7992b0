// ReplyTrimmer: keeps the MDT's reply records (exactly-once replies to resent requests) from
// growing without bound by calling Mdt::TrimReplies(keep) every interval.
//
// A resend that arrives after its record was trimmed is executed again, so `keep` must cover
// the requests clients may still resend (their in-flight window times the clients).
//
// Threading: loop-thread only; the trimming runs on the blocking pool.
#pragma once

#include <cstdint>

#include "common/blocking_pool.h"
#include "common/event_loop.h"
#include "mds/daemon/loop_signal.h"
#include "mds/mdt.h"

namespace weft::mds {

class ReplyTrimmer {
 public:
  struct Options {
    uint64_t keep = 100000;
    Clock::duration interval = std::chrono::seconds(60);
  };

  // REQUIRES: `mdt` and `pool` outlive the trimmer.
  ReplyTrimmer(EventLoop& loop, Options options, Mdt& mdt, BlockingPool& pool)
      : options_(options), mdt_(mdt), pool_(pool), task_(loop) {}

  // Starts trimming every interval.
  void Start() { task_.Start(Run()); }
  // Ends the loop and waits for a trim in progress.
  Task<void> Stop() { return task_.Stop(); }

 private:
  Task<void> Run();

  Options options_;
  Mdt& mdt_;
  BlockingPool& pool_;
  LoopTask task_;
};

}  // namespace weft::mds
