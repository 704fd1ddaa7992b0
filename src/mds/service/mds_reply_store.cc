#include "mds/service/mds_reply_store.h"

#include <spdlog/spdlog.h>

namespace weft::mds {

std::optional<rpc::RecordedReply> MdtReplyStore::Lookup(uint64_t client_id,
                                                        uint64_t request_id) {
  if (std::optional<rpc::RecordedReply> rec = volatile_.Lookup(client_id, request_id)) return rec;
  Result<std::optional<rpc::RecordedReply>> rec = mdt_.LookupReply(client_id, request_id);
  if (!rec.ok()) {
    spdlog::error("mds: reading the reply record of client {:x} request {}: {}", client_id,
                  request_id, rec.status().ToString());
    return std::nullopt;
  }
  return std::move(rec).value();
}

void MdtReplyStore::Record(uint64_t client_id, uint64_t request_id, rpc::RecordedReply reply) {
  spdlog::warn("mds: recording the reply of client {:x} request {} on the loop thread",
               client_id, request_id);
  Status st = mdt_.RecordReply(client_id, request_id, reply);
  if (!st.ok()) spdlog::error("mds: recording a reply: {}", st.ToString());
}

}  // namespace weft::mds
