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
      : loop_(loop), options_(options), mdt_(mdt), pool_(pool), stop_(loop) {}

  // Starts trimming every interval.
  void Start();
  // Ends the loop and waits for a trim in progress.
  Task<void> Stop();

 private:
  Task<void> Run();

  EventLoop& loop_;
  Options options_;
  Mdt& mdt_;
  BlockingPool& pool_;
  LoopSignal stop_;
  bool stopping_ = false;
  bool running_ = false;
};

}  // namespace weft::mds
