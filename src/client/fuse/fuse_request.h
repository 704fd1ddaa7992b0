// What the low-level operations share (fuse_ops.cc, fuse_xattr_ops.cc): the mount a request
// belongs to, its caller, and replies that count errors against the request's operation.
//
// Threading: a request is served on one thread from Begin to its reply (the error count keeps
// the operation in a thread_local).
#pragma once

#include "client/client.h"
#include "client/fuse/fuse_api.h"
#include "client/fuse/fuse_metrics.h"
#include "client/fuse/weft_fuse.h"
#include "common/status.h"

namespace weft::fuse {

FuseFs& Fs(fuse_req_t req);
client::Client& ClientOf(fuse_req_t req);
// The caller: uid and gid from the request, supplementary groups from /proc, kept for the
// process's next requests (CallerGroupsCache). A request the kernel makes on its own has none.
client::Credentials CallerOf(fuse_req_t req);

// A metadata request starts: counted, and remembered for an error reply.
void Begin(fuse_req_t req, FuseOp op);
// An error reply (err != 0), counted against the thread's current operation.
void ReplyErrno(fuse_req_t req, int err);
void ReplyError(fuse_req_t req, const Status& st);
// 0 or the status's errno.
void ReplyStatus(fuse_req_t req, const Status& st);

// Extended attributes (fuse_xattr_ops.cc).
void Setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
              int flags);
void Getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
void Listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void Removexattr(fuse_req_t req, fuse_ino_t ino, const char* name);

}  // namespace weft::fuse
