// MdsServiceImpl: the MDS's RPC handlers. Thin: each checks its request's shape, root-squashes
// its credentials by the caller's NID, and runs the Mdt operation on the blocking pool (every
// operation reads or writes RocksDB); except that lookup, getattr, getxattr, readlink and access
// are answered on the loop when memtables and block cache hold what they read. A mutating call
// passes its (client id, request id) so the Mdt records the reply in the same WriteBatch as the
// change; a failed mutating call has its error recorded too, so that a resend gets the same answer.
// A request that asks for a name lease is granted one before the Mdt reads (NameLeases); an unlink,
// rmdir or rename that succeeded tells the other holders of the names it removed.
//
// Threading: handlers run on the RPC server's loop; the Mdt work runs on pool threads; a
// change's reply waits for the log sync on the LogSyncer's thread.
#pragma once

#include "common/blocking_pool.h"
#include "mds/mds_service.h"
#include "mds/mdt.h"
#include "mds/root_squash.h"
#include "mds/service/log_syncer.h"
#include "mds/service/mds_reply_store.h"
#include "mds/service/name_leases.h"
#include "mds/txn.h"

namespace weft::mds {

#define WEFT_MDS_HANDLER_DECL_(id, name, req, resp, kind) \
  Task<Result<resp>> name(rpc::ServerCall& call, const req& request) override;

class MdsServiceImpl : public MdsService::Handler {
 public:
  // REQUIRES: `mdt`, `pool`, `replies` (the server's reply store) and `leases` outlive the
  // handler.
  MdsServiceImpl(Mdt& mdt, BlockingPool& pool, MdtReplyStore& replies, NameLeases& leases,
                 RootSquash squash)
      : mdt_(mdt),
        pool_(pool),
        replies_(replies),
        leases_(leases),
        squash_(std::move(squash)),
        syncer_(mdt.store()) {}

  WEFT_MDS_METHODS(WEFT_MDS_HANDLER_DECL_)

 private:
  // A read: no reply record. With `on_loop` (point reads only: no scans, no locks, no system
  // calls), tried on the loop first with CacheOnlyReads, and on the pool if that would block.
  template <typename Req, typename Resp>
  Task<Result<Resp>> Read(rpc::ServerCall& call, Req request,
                          Result<Resp> (Mdt::*op)(const Req&), bool on_loop);
  // A change the Mdt records itself with the reply tag.
  // With `all`, the reply also waits for the changes that need no sync before they are seen.
  template <typename Req, typename Resp>
  Task<Result<Resp>> Change(rpc::ServerCall& call, Req request,
                            Result<Resp> (Mdt::*op)(const Req&, const ReplyTag*),
                            bool all = false);
  // Open and close: the Mdt cannot tag them; their replies are recorded in memory after them
  // (MdtReplyStore::RecordVolatile says why).
  template <typename Req, typename Resp>
  Task<Result<Resp>> ChangeThenRecordVolatile(rpc::ServerCall& call, Req request,
                                              Result<Resp> (Mdt::*op)(const Req&));
  // Waits until everything applied so far that must be durable before it is seen is durable
  // (with `all`: everything), then finishes `deferred`, and has a change of its that may be
  // seen first synced soon (LogSyncer).
  Task<Status> Durable(DeferredSync& deferred, bool all = false);
  // Whether `call`, which `asks` for a name lease, may have one at once: leases are on and its
  // client is recorded in the MDT. If not, RecordForLeases records it first, on the pool (its
  // first lease of the run), and says whether that worked.
  bool LeaseReady(const rpc::ServerCall& call, bool asks) const;
  Task<bool> RecordForLeases(rpc::ServerCall& call);
  // Records `reply` (or its error) for `call` on the pool, then marks the call recorded.
  template <typename Resp>
  Task<void> Record(rpc::ServerCall& call, const Result<Resp>& reply);

  Mdt& mdt_;
  BlockingPool& pool_;
  MdtReplyStore& replies_;
  NameLeases& leases_;  // granted before a read or change that asks; told of removals after
  const RootSquash squash_;
  LogSyncer syncer_;  // changes wait for durability here, not on a pool thread
};

#undef WEFT_MDS_HANDLER_DECL_

}  // namespace weft::mds
