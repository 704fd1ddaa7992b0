#include "oss/oss_handler.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace weft::oss {
namespace {

Result<ObjectKey> Key(const ObjectId& id, bool has) {
  if (!has) return Status(StatusCode::kInvalidArgument, "request names no object");
  return ObjectKey{id.inode(), id.stripe()};
}

// Counts a call in *n while it lives (n may be null: not counted).
struct InFlight {
  explicit InFlight(int* n) : n(n) {
    if (n) ++*n;
  }
  ~InFlight() {
    if (n) --*n;
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  int* n;
};

// A Write's bulk payload as the RPC layer hands it over, piece by piece.
class CallPieces final : public WriteSource {
 public:
  explicit CallPieces(rpc::ServerCall& call) : call_(call) {}
  Task<Result<std::span<const char>>> Next() override { return call_.NextRequestPiece(); }
  FixedBuffer fixed() const override { return call_.request_payload_fixed(); }

 private:
  rpc::ServerCall& call_;
};

}  // namespace

Status CheckIoRange(uint64_t offset, uint64_t length) {
  if (length > kMaxIoLength) {
    return Status(StatusCode::kInvalidArgument,
                  "length " + std::to_string(length) + " is over the limit of " +
                      std::to_string(kMaxIoLength) + " bytes per call");
  }
  if (offset > kMaxObjectOffset || length > kMaxObjectOffset - offset) {
    return Status(StatusCode::kOutOfRange, "range at offset " + std::to_string(offset) +
                                               " of " + std::to_string(length) +
                                               " bytes goes beyond 2^62");
  }
  return Status::Ok();
}

Result<ObjectStore*> OssHandler::Store(uint32_t index) const {
  auto it = stores_.find(index);
  if (it == stores_.end()) {
    std::string served;
    for (const auto& [i, s] : stores_) served += (served.empty() ? "" : ", ") + s->label().Name();
    return Status(StatusCode::kNotFound, "OST index " + std::to_string(index) +
                                             " is not served here (this server has " +
                                             (served.empty() ? "none" : served) + ")");
  }
  return it->second;
}

Task<Result<ReadReply>> OssHandler::Read(rpc::ServerCall& call, const ReadRequest& request) {
  WEFT_CO_ASSIGN_OR_RETURN(ObjectStore * store, Store(request.ost_index()));
  WEFT_CO_ASSIGN_OR_RETURN(ObjectKey key, Key(request.object(), request.has_object()));
  WEFT_CO_RETURN_IF_ERROR(CheckIoRange(request.offset(), request.length()));
  if (request.length() > call.response_payload_capacity()) {
    co_return Status(StatusCode::kInvalidArgument,
                     "read of " + std::to_string(request.length()) +
                         " bytes does not fit the caller's buffer of " +
                         std::to_string(call.response_payload_capacity()));
  }
  ReadReply reply;
  // Bound the payload by the object's size, so a read past the end moves only what exists.
  uint64_t size = 0;
  Result<ObjectAttr> attr = store->GetAttr(key);
  if (attr.ok()) {
    size = attr->size;
  } else if (attr.status().code() != StatusCode::kNotFound) {
    co_return attr.status();
  }
  uint64_t want = request.offset() >= size ? 0 : std::min(request.length(), size - request.offset());
  if (want == 0) co_return reply;
  WEFT_CO_ASSIGN_OR_RETURN(std::span<char> buf, call.ResponsePayload(want));
  WEFT_CO_ASSIGN_OR_RETURN(
      size_t n, co_await store->Read(key, request.offset(), buf, call.response_payload_fixed()));
  // Truncated meanwhile: the payload is the whole buffer, so clear what was not read.
  if (n < buf.size()) std::memset(buf.data() + n, 0, buf.size() - n);
  reply.set_count(n);
  co_return reply;
}

Task<Result<WriteReply>> OssHandler::Write(rpc::ServerCall& call, const WriteRequest& request) {
  WEFT_CO_ASSIGN_OR_RETURN(ObjectStore * store, Store(request.ost_index()));
  WEFT_CO_ASSIGN_OR_RETURN(ObjectKey key, Key(request.object(), request.has_object()));
  WEFT_CO_RETURN_IF_ERROR(CheckIoRange(request.offset(), request.length()));
  if (call.request_payload_size() != request.length()) {
    co_return Status(StatusCode::kInvalidArgument,
                     "write of " + std::to_string(request.length()) + " bytes carries " +
                         std::to_string(call.request_payload_size()) + " bytes of data");
  }
  WriteReply reply;
  if (request.length() == 0) co_return reply;
  InFlight counted(call.request_payload_is_bulk() ? &bulk_writes_ : nullptr);
  if (store->stream_writes() && call.request_payload_is_bulk() &&
      request.length() >= 2 * rpc::kBulkCrcPiece && bulk_writes_ <= kStreamMaxWrites) {
    // Each piece goes to disk as it lands, while the rest of the transfer is in flight.
    CallPieces source(call);
    Result<size_t> n = co_await store->WritePieces(key, request.offset(), source);
    if (n.ok()) {
      reply.set_count(*n);
      co_return reply;
    }
    // A piece failed its crc32c: pull the payload whole, retrying, and write it once more.
    if (n.status().code() != StatusCode::kRpcBulkChecksum) co_return n.status();
  }
  WEFT_CO_ASSIGN_OR_RETURN(std::span<const char> data, co_await call.RequestPayload());
  WEFT_CO_ASSIGN_OR_RETURN(
      size_t n, co_await store->Write(key, request.offset(), data, call.request_payload_fixed()));
  reply.set_count(n);
  co_return reply;
}

Task<Result<SyncReply>> OssHandler::Sync(rpc::ServerCall&, const SyncRequest& request) {
  WEFT_CO_ASSIGN_OR_RETURN(ObjectStore * store, Store(request.ost_index()));
  for (const ObjectId& id : request.objects()) {
    WEFT_CO_RETURN_IF_ERROR(co_await store->Sync(ObjectKey{id.inode(), id.stripe()}));
  }
  co_return SyncReply{};
}

Task<Result<PunchReply>> OssHandler::Punch(rpc::ServerCall&, const PunchRequest& request) {
  WEFT_CO_ASSIGN_OR_RETURN(ObjectStore * store, Store(request.ost_index()));
  WEFT_CO_ASSIGN_OR_RETURN(ObjectKey key, Key(request.object(), request.has_object()));
  if (request.hole_length() > 0) {
    // Any length: a hole asks for no buffer, unlike a read or write.
    if (request.hole_offset() > kMaxObjectOffset ||
        request.hole_length() > kMaxObjectOffset - request.hole_offset()) {
      co_return Status(StatusCode::kOutOfRange,
                       "hole at offset " + std::to_string(request.hole_offset()) + " of " +
                           std::to_string(request.hole_length()) + " bytes goes beyond 2^62");
    }
    WEFT_CO_RETURN_IF_ERROR(
        co_await store->PunchHole(key, request.hole_offset(), request.hole_length()));
    co_return PunchReply{};
  }
  WEFT_CO_RETURN_IF_ERROR(CheckIoRange(request.size(), 0));
  WEFT_CO_RETURN_IF_ERROR(co_await store->Punch(key, request.size()));
  co_return PunchReply{};
}

Task<Result<DestroyReply>> OssHandler::Destroy(rpc::ServerCall&, const DestroyRequest& request) {
  WEFT_CO_ASSIGN_OR_RETURN(ObjectStore * store, Store(request.ost_index()));
  WEFT_CO_ASSIGN_OR_RETURN(ObjectKey key, Key(request.object(), request.has_object()));
  if (request.more_size() > kMaxDestroyBatch) {
    co_return Status(StatusCode::kInvalidArgument,
                     "destroy of " + std::to_string(request.more_size() + 1) +
                         " objects is over the limit of " + std::to_string(kMaxDestroyBatch + 1));
  }
  DestroyReply reply;
  WEFT_CO_ASSIGN_OR_RETURN(bool existed, store->Destroy(key));
  reply.set_existed(existed);
  uint32_t destroyed = existed ? 1 : 0;
  for (const ObjectId& id : request.more()) {
    WEFT_CO_ASSIGN_OR_RETURN(bool more_existed, store->Destroy(ObjectKey{id.inode(), id.stripe()}));
    destroyed += more_existed ? 1 : 0;
  }
  reply.set_destroyed(destroyed);
  co_return reply;
}

Task<Result<SeekReply>> OssHandler::Seek(rpc::ServerCall&, const SeekRequest& request) {
  WEFT_CO_ASSIGN_OR_RETURN(ObjectStore * store, Store(request.ost_index()));
  WEFT_CO_ASSIGN_OR_RETURN(ObjectKey key, Key(request.object(), request.has_object()));
  if (request.whence() != SeekRequest::DATA && request.whence() != SeekRequest::HOLE) {
    co_return Status(StatusCode::kInvalidArgument, "seek whence must be DATA or HOLE");
  }
  if (request.offset() > kMaxObjectOffset) {
    co_return Status(StatusCode::kOutOfRange,
                     "seek from offset " + std::to_string(request.offset()) + " beyond 2^62");
  }
  WEFT_CO_ASSIGN_OR_RETURN(std::optional<uint64_t> at,
                           store->Seek(key, request.offset(), request.whence() == SeekRequest::HOLE));
  SeekReply reply;
  reply.set_found(at.has_value());
  if (at) reply.set_offset(*at);
  co_return reply;
}

Task<Result<GetAttrReply>> OssHandler::GetAttr(rpc::ServerCall&, const GetAttrRequest& request) {
  WEFT_CO_ASSIGN_OR_RETURN(ObjectStore * store, Store(request.ost_index()));
  WEFT_CO_ASSIGN_OR_RETURN(ObjectKey key, Key(request.object(), request.has_object()));
  WEFT_CO_ASSIGN_OR_RETURN(ObjectAttr attr, store->GetAttr(key));
  GetAttrReply reply;
  reply.set_size(attr.size);
  reply.set_allocated_bytes(attr.allocated_bytes);
  co_return reply;
}

Task<Result<StatfsReply>> OssHandler::Statfs(rpc::ServerCall&, const StatfsRequest& request) {
  WEFT_CO_ASSIGN_OR_RETURN(ObjectStore * store, Store(request.ost_index()));
  WEFT_CO_ASSIGN_OR_RETURN(StoreSpace s, store->Statfs());
  StatfsReply reply;
  reply.set_bytes_total(s.bytes_total);
  reply.set_bytes_free(s.bytes_free);
  reply.set_bytes_avail(s.bytes_avail);
  reply.set_inodes_total(s.inodes_total);
  reply.set_inodes_free(s.inodes_free);
  co_return reply;
}

}  // namespace weft::oss
