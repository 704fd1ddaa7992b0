// LeaseGrace: the MDS's name leases across a restart (docs/mds.md, "Name leases"). At start it
// hands NameLeases the clients the MDT recorded as lease holders before (NameLeases::
// StartGrace), who are then told of every removal for one lease term; after the term it has the
// MDT forget those that did not come back.
//
// Threading: loop-thread only; the MDT's reads and writes run on the blocking pool.
#pragma once

#include "common/blocking_pool.h"
#include "common/event_loop.h"
#include "mds/daemon/loop_signal.h"
#include "mds/mdt.h"
#include "mds/service/name_leases.h"

namespace weft::mds {

class LeaseGrace {
 public:
  // REQUIRES: `leases`, `mdt` and `pool` outlive it.
  LeaseGrace(EventLoop& loop, Clock::duration term, NameLeases& leases, Mdt& mdt,
             BlockingPool& pool)
      : term_(term), leases_(leases), mdt_(mdt), pool_(pool), task_(loop) {}

  // Reads the clients from before and starts the grace; call before serving requests.
  Task<Status> Begin();
  // Ends the grace after the term (a task of its own).
  void Start() { task_.Start(Run()); }
  // Stops waiting (the records stay for the next start) and waits for a forget in progress.
  Task<void> Stop() { return task_.Stop(); }

 private:
  Task<void> Run();

  Clock::duration term_;
  NameLeases& leases_;
  Mdt& mdt_;
  BlockingPool& pool_;
  LoopTask task_;
};

}  // namespace weft::mds
