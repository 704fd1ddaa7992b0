// The metadata service as clients see it: its methods and their messages (proto/mds.proto).
// Everything else of the MDS is private to src/mds.
//
// Every request carries the caller's Credentials; the server root-squashes them by the
// caller's NID before any permission check. State-changing methods are kMutating: a resend
// after a lost reply is answered from the reply the MDS recorded in the same RocksDB
// WriteBatch as the change (docs/mds.md, "Exactly once").
#pragma once

#include <cstdint>

#include "common/rpc_service.h"
#include "mds.pb.h"

namespace weft::mds {

// The port an MDS listens on when its NID gives none.
constexpr uint16_t kDefaultMdsPort = 9890;

#define WEFT_MDS_METHODS(M)                                                 \
  M(1, Lookup, LookupRequest, AttrReply, kReadOnly)                         \
  M(2, Getattr, GetattrRequest, AttrReply, kReadOnly)                       \
  M(3, Setattr, SetattrRequest, AttrReply, kMutating)                       \
  M(4, Create, CreateRequest, EntryReply, kMutating)                        \
  M(5, Mknod, MknodRequest, EntryReply, kMutating)                          \
  M(6, Mkdir, MkdirRequest, EntryReply, kMutating)                          \
  M(7, Unlink, UnlinkRequest, UnlinkReply, kMutating)                       \
  M(8, Rmdir, UnlinkRequest, UnlinkReply, kMutating)                        \
  M(9, Rename, RenameRequest, EmptyReply, kMutating)                        \
  M(10, Link, LinkRequest, EntryReply, kMutating)                           \
  M(11, Symlink, SymlinkRequest, EntryReply, kMutating)                     \
  M(12, Readlink, ReadlinkRequest, ReadlinkReply, kReadOnly)                \
  M(13, Readdir, ReaddirRequest, ReaddirReply, kReadOnly)                   \
  M(14, Open, OpenRequest, AttrReply, kMutating)                            \
  M(15, Close, CloseRequest, EmptyReply, kMutating)                         \
  M(16, Statfs, StatfsRequest, StatfsReply, kReadOnly)                      \
  M(17, Getxattr, GetxattrRequest, GetxattrReply, kReadOnly)                \
  M(18, Setxattr, SetxattrRequest, EmptyReply, kMutating)                   \
  M(19, Listxattr, ListxattrRequest, ListxattrReply, kReadOnly)             \
  M(20, Removexattr, RemovexattrRequest, EmptyReply, kMutating)             \
  M(21, Access, AccessRequest, EmptyReply, kReadOnly)                       \
  M(22, GetLayout, GetLayoutRequest, LayoutReply, kReadOnly)                \
  M(23, SetLayout, SetLayoutRequest, LayoutReply, kMutating)                \
  M(24, Sync, SyncRequest, EmptyReply, kReadOnly)
WEFT_RPC_SERVICE(MdsService, 2, "mds", WEFT_MDS_METHODS);

// The notification (RpcServer::Notify, service MdsService::kId) an MDS sends a client holding
// name leases: a NamesRemoved body. Not a method: the MDS answers no request with this id.
constexpr uint16_t kNotifyNamesRemoved = 100;

// True if the MDS answers this Setattr only once the change is durable: a truncate (the OSTs
// act on it), or one marked durable. Otherwise (mode, owner, times, size reports that only
// grow the file) the reply leaves at once and the change is durable within milliseconds, or
// once a later Sync call or durable Setattr returns: fsync sends one of those (docs/mds.md,
// "Attribute changes").
inline bool TruncatesFile(const SetattrRequest& r) { return r.has_size() && !r.size_grow_only(); }
inline bool DurableBeforeReply(const SetattrRequest& r) { return r.durable() || TruncatesFile(r); }

}  // namespace weft::mds
