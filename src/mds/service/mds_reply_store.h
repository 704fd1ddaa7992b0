// MdtReplyStore: the RPC server's ReplyStore over the Mdt's durable reply records, so that a
// resend after a lost reply, even across an MDS restart, gets the original answer.
//
// Lookup runs on the server's loop thread (the RpcServer calls it before dispatching a
// mutating call) and does one RocksDB point read there: the record is usually in the memtable
// or block cache, and moving the lookup to the pool would need an asynchronous ReplyStore.
// Record is a fallback: MdsServiceImpl records every mutating call's reply itself (and calls
// MarkReplyRecorded), so the server only calls it for a handler that did not; it then does a
// synced write on the loop thread, logged as a warning.
//
// Open and close keep their records in memory instead (RecordVolatile): what they change, the
// open counts, lives in memory and goes with a restart, so a record that outlived it would
// answer a resend for state that no longer exists, and a synced write per open and per close
// bought nothing (it cost each a pool hop and a log sync).
#pragma once

#include "common/reply_store.h"
#include "mds/mdt.h"

namespace weft::mds {

class MdtReplyStore : public rpc::ReplyStore {
 public:
  // REQUIRES: `mdt` outlives the store.
  explicit MdtReplyStore(Mdt& mdt) : mdt_(mdt) {}

  // The recorded reply, or nullopt (also when the read fails: the call then runs, and the
  // failure is logged).
  std::optional<rpc::RecordedReply> Lookup(uint64_t client_id, uint64_t request_id) override;
  void Record(uint64_t client_id, uint64_t request_id, rpc::RecordedReply reply) override;
  // A record kept in memory only (the newest 64 Ki of them). REQUIRES: the server's loop thread.
  void RecordVolatile(uint64_t client_id, uint64_t request_id, rpc::RecordedReply reply) {
    volatile_.Record(client_id, request_id, std::move(reply));
  }

 private:
  Mdt& mdt_;
  rpc::MemoryReplyStore volatile_;
};

}  // namespace weft::mds
