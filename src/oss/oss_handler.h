// OssHandler: the OssService methods over the OSTs one server serves. Validates every request
// (target index, object, offsets and lengths) before touching a store.
//
// Threading: the loop thread of the RpcServer it is added to (the stores' loop).
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "oss/object_store.h"
#include "oss/oss_service.h"

namespace weft::oss {

class OssHandler : public OssService::Handler {
 public:
  // REQUIRES: stores outlive the handler.
  void AddStore(ObjectStore* store) { stores_[store->label().index] = store; }

  Task<Result<ReadReply>> Read(rpc::ServerCall& call, const ReadRequest& request) override;
  Task<Result<WriteReply>> Write(rpc::ServerCall& call, const WriteRequest& request) override;
  Task<Result<SyncReply>> Sync(rpc::ServerCall& call, const SyncRequest& request) override;
  Task<Result<PunchReply>> Punch(rpc::ServerCall& call, const PunchRequest& request) override;
  Task<Result<DestroyReply>> Destroy(rpc::ServerCall& call,
                                     const DestroyRequest& request) override;
  Task<Result<GetAttrReply>> GetAttr(rpc::ServerCall& call,
                                     const GetAttrRequest& request) override;
  Task<Result<SeekReply>> Seek(rpc::ServerCall& call, const SeekRequest& request) override;
  Task<Result<StatfsReply>> Statfs(rpc::ServerCall& call, const StatfsRequest& request) override;

 private:
  Result<ObjectStore*> Store(uint32_t index) const;
  std::map<uint32_t, ObjectStore*> stores_;
  // Bulk writes being served. A write streams (ObjectStore::WritePieces) only while at most
  // kStreamMaxWrites are: streaming overlaps one call's transfer, checksum and disk write, which
  // pays while the server has time to spare; with more calls in flight they already overlap one
  // another, and the pieces' extra completions and on-loop checksums cost throughput.
  static constexpr int kStreamMaxWrites = 2;
  int bulk_writes_ = 0;
};

}  // namespace weft::oss
