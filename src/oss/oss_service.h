// The object storage service as clients see it: its methods, messages and limits.
// Everything else of the OSS is private to src/oss (docs/oss.md).
#pragma once

#include <cstdint>

#include "common/rpc_service.h"
#include "common/status.h"
#include "oss.pb.h"

namespace weft::oss {

// The port an OSS listens on when its NID gives none.
constexpr uint16_t kDefaultOssPort = 9900;
// The largest Read or Write.
constexpr uint64_t kMaxIoLength = uint64_t{64} << 20;
// Objects a Destroy may name in `more`, besides `object`.
constexpr int kMaxDestroyBatch = 4095;
// No byte of an object lies at or beyond this offset.
constexpr uint64_t kMaxObjectOffset = uint64_t{1} << 62;

#define WEFT_OSS_METHODS(M)                                   \
  M(1, Read, ReadRequest, ReadReply, kReadOnly)               \
  M(2, Write, WriteRequest, WriteReply, kMutating)            \
  M(3, Sync, SyncRequest, SyncReply, kReadOnly)               \
  M(4, Punch, PunchRequest, PunchReply, kMutating)            \
  M(5, Destroy, DestroyRequest, DestroyReply, kMutating)      \
  M(6, GetAttr, GetAttrRequest, GetAttrReply, kReadOnly)      \
  M(7, Statfs, StatfsRequest, StatfsReply, kReadOnly)         \
  M(8, Seek, SeekRequest, SeekReply, kReadOnly)

WEFT_RPC_SERVICE(OssService, 3, "oss", WEFT_OSS_METHODS);

// Ok if [offset, offset + length) is a valid range for an I/O of at most kMaxIoLength bytes;
// kInvalidArgument (length) or kOutOfRange (offset) otherwise.
Status CheckIoRange(uint64_t offset, uint64_t length);

}  // namespace weft::oss
