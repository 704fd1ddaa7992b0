#include "mds/service/mds_service_impl.h"

#include <spdlog/spdlog.h>

#include <type_traits>

#include "mds/service/request_checks.h"
#include "mds/txn.h"
#include "rpc.pb.h"

namespace weft::mds {
namespace {

template <typename Resp>
rpc::RecordedReply ToRecord(const Result<Resp>& reply) {
  rpc::RecordedReply rec;
  rec.status = static_cast<int32_t>(reply.status().code());
  if (reply.ok()) {
    rec.body = reply->SerializeAsString();
  } else {
    rpc::ErrorBody err;
    err.set_message(reply.status().message());
    rec.body = err.SerializeAsString();
  }
  return rec;
}

// Pool jobs calling one Mdt operation, under a DeferredSync: the operation applies what it
// changes and returns without waiting for the log sync; the handler waits for that on the
// LogSyncer (Durable). Plain structs, not lambdas: GCC 12 miscompiles a capturing lambda inside
// these template coroutines (ASan saw the job read its captures from the pool thread's stack,
// and the MDS answered nothing).
template <typename Req, typename Resp>
struct ReadJob {
  Mdt* mdt;
  Result<Resp> (Mdt::*op)(const Req&);
  const Req* request;
  DeferredSync* deferred;
  Result<Resp> operator()() const {
    DeferredSync::Scope scope(*deferred);
    return (mdt->*op)(*request);
  }
};

template <typename Req, typename Resp>
struct ChangeJob {
  Mdt* mdt;
  Result<Resp> (Mdt::*op)(const Req&, const ReplyTag*);
  const Req* request;
  const ReplyTag* tag;
  DeferredSync* deferred;
  Result<Resp> operator()() const {
    DeferredSync::Scope scope(*deferred);
    return (mdt->*op)(*request, tag);
  }
};

// The operation with CacheOnlyReads (a function, not a lambda in the coroutine: see above).
template <typename Req, typename Resp>
Result<Resp> ReadFromMemory(Mdt& mdt, Result<Resp> (Mdt::*op)(const Req&), const Req& request) {
  CacheOnlyReads cache_only;
  return (mdt.*op)(request);
}

// Name leases: which requests may ask for one (on which directory), and which names a change
// removes or replaces.
template <typename Req>
constexpr bool kAsksLease = requires(const Req& r) {
  r.lease();
};

template <typename Req>
uint64_t LeaseDirectory(const Req& r) {
  if constexpr (std::is_same_v<Req, LinkRequest>) {
    return r.new_parent();
  } else {
    return r.parent();
  }
}

template <typename Req>
bool AsksLease(const Req& r) {
  if constexpr (kAsksLease<Req>) {
    return r.lease();
  } else {
    return false;
  }
}

// REQUIRES: the client is recorded in the MDT (MdsServiceImpl::RecordForLeases).
template <typename Req>
Lease GrantIfAsked(NameLeases& leases, const rpc::ServerCall& call, const Req& r) {
  if constexpr (kAsksLease<Req>) {
    if (r.lease()) return leases.Grant(LeaseDirectory(r), call.client_id(), call.peer_address());
  }
  return Lease();
}

template <typename Resp>
void AttachLease(const Lease& lease, Result<Resp>& reply) {
  if constexpr (requires(Resp & r) { r.mutable_lease(); }) {
    if (lease.ms() != 0 && reply.ok()) *reply->mutable_lease() = lease;
  }
}

template <typename Req>
void NoteRemovedNames(NameLeases& leases, const rpc::ServerCall& call, const Req& r) {
  if constexpr (std::is_same_v<Req, UnlinkRequest>) {
    leases.NoteRemoved({{r.parent(), r.name()}}, call.client_id());
  } else if constexpr (std::is_same_v<Req, RenameRequest>) {
    leases.NoteRemoved({{r.src_parent(), r.src_name()}, {r.dst_parent(), r.dst_name()}},
                       call.client_id());
  }
}

struct RecordLeaseClientJob {
  Mdt* mdt;
  uint64_t client;
  std::string address;
  Status operator()() const { return mdt->RecordLeaseClient(client, address); }
};

struct RecordJob {
  Mdt* mdt;
  uint64_t client;
  uint64_t request;
  const rpc::RecordedReply* rec;
  Status operator()() const { return mdt->RecordReply(client, request, *rec); }
};

}  // namespace

// Every reply waits here until what the operation changed, and what it read, is durable: a
// read may see a change that another operation has applied but not yet synced (Txn::Apply), and
// no client may learn of a change a crash could take back. Costs nothing when no sync is
// pending. Then the destroys the operation queued are announced.
// A change that may be seen before its sync (DeferredSync::soon) has the syncer sync it soon.
// With `all`, every change applied so far, kSoon ones too (a durable Setattr: fsync).
Task<Status> MdsServiceImpl::Durable(DeferredSync& deferred, bool all) {
  // (Two co_awaits, not one of a conditional: GCC 12 frees the awaiter of `c ? a : b`.)
  Status durable;
  if (all) {
    durable = co_await syncer_.SyncedAll();
  } else {
    durable = co_await syncer_.Synced();
  }
  if (durable.ok()) deferred.Finish();
  if (deferred.soon()) syncer_.SyncSoon();
  co_return durable;
}

// A client's first lease of this run waits until the MDT has it (Mdt::RecordLeaseClient), so
// that a restarted MDS can tell it of removals; if that fails it gets no lease.
bool MdsServiceImpl::LeaseReady(const rpc::ServerCall& call, bool asks) const {
  return asks && leases_.enabled() && leases_.Recorded(call.client_id());
}

Task<bool> MdsServiceImpl::RecordForLeases(rpc::ServerCall& call) {
  uint64_t client = call.client_id();
  // A named job, not a temporary in the co_await: GCC 12 may destroy such a temporary, with a
  // string in it, twice.
  RecordLeaseClientJob job{&mdt_, client, std::string(call.peer_address())};
  Status st = co_await pool_.Run(job);
  if (!st.ok()) {
    spdlog::warn("mds: recording client {:#x} for name leases: {}; it gets none", client,
                 st.ToString());
    co_return false;
  }
  leases_.MarkRecorded(client);
  co_return true;
}

template <typename Req, typename Resp>
Task<Result<Resp>> MdsServiceImpl::Read(rpc::ServerCall& call, Req request,
                                        Result<Resp> (Mdt::*op)(const Req&), bool on_loop) {
  WEFT_CO_RETURN_IF_ERROR(CheckRequest(request));
  ApplyRootSquash(squash_, call.peer_nid(), request.mutable_cred());
  bool lease_ok = LeaseReady(call, AsksLease(request));  // no coroutine once recorded
  if (AsksLease(request) && !lease_ok && leases_.enabled()) {
    lease_ok = co_await RecordForLeases(call);
  }
  Lease lease = lease_ok ? GrantIfAsked(leases_, call, request) : Lease();  // before the read
  DeferredSync deferred(mdt_);
  Result<Resp> reply(Status(StatusCode::kWouldBlock, "not run"));
  // Answered here, without the hop to a pool thread and back, when memory holds the answer.
  if (on_loop) reply = ReadFromMemory(mdt_, op, request);
  if (reply.status().code() == StatusCode::kWouldBlock) {
    reply = co_await pool_.Run(ReadJob<Req, Resp>{&mdt_, op, &request, &deferred});
  }
  Status durable = co_await Durable(deferred);
  if (!durable.ok()) co_return durable;
  AttachLease(lease, reply);
  co_return reply;
}

template <typename Req, typename Resp>
Task<Result<Resp>> MdsServiceImpl::Change(rpc::ServerCall& call, Req request,
                                          Result<Resp> (Mdt::*op)(const Req&, const ReplyTag*),
                                          bool all) {
  Status checked = CheckRequest(request);
  if (!checked.ok()) {
    Result<Resp> refused(checked);
    co_await Record(call, refused);
    co_return refused;
  }
  ApplyRootSquash(squash_, call.peer_nid(), request.mutable_cred());
  ReplyTag tag{call.client_id(), call.request_id()};
  bool lease_ok = LeaseReady(call, AsksLease(request));  // no coroutine once recorded
  if (AsksLease(request) && !lease_ok && leases_.enabled()) {
    lease_ok = co_await RecordForLeases(call);
  }
  Lease lease = lease_ok ? GrantIfAsked(leases_, call, request) : Lease();  // before it reads
  DeferredSync deferred(mdt_);
  Result<Resp> reply =
      co_await pool_.Run(ChangeJob<Req, Resp>{&mdt_, op, &request, &tag, &deferred});
  // Applied: the other holders of a name it removed are told before anyone hears of it.
  if (reply.ok()) NoteRemovedNames(leases_, call, request);
  // The reply, or the error of a failed sync, leaves only once the change is durable.
  Status durable = co_await Durable(deferred, all);
  if (!durable.ok()) reply = durable;
  if (reply.ok()) {
    call.MarkReplyRecorded();  // in the operation's own WriteBatch (without the lease)
    AttachLease(lease, reply);
  } else {
    co_await Record(call, reply);  // a failed operation changed nothing and recorded nothing
  }
  co_return reply;
}

template <typename Req, typename Resp>
Task<Result<Resp>> MdsServiceImpl::ChangeThenRecordVolatile(rpc::ServerCall& call, Req request,
                                                            Result<Resp> (Mdt::*op)(const Req&)) {
  // (A Result built from an Ok Status holds no value: the checked request must run.)
  Status checked = CheckRequest(request);
  Result<Resp> reply(checked.ok() ? Status(StatusCode::kInternal, "not run") : checked);
  if (checked.ok()) {
    ApplyRootSquash(squash_, call.peer_nid(), request.mutable_cred());
    DeferredSync deferred(mdt_);
    reply = co_await pool_.Run(ReadJob<Req, Resp>{&mdt_, op, &request, &deferred});
    Status durable = co_await Durable(deferred);
    if (!durable.ok()) reply = durable;
  }
  replies_.RecordVolatile(call.client_id(), call.request_id(), ToRecord(reply));
  call.MarkReplyRecorded();
  co_return reply;
}

template <typename Resp>
Task<void> MdsServiceImpl::Record(rpc::ServerCall& call, const Result<Resp>& reply) {
  rpc::RecordedReply rec = ToRecord(reply);
  uint64_t client = call.client_id();
  uint64_t request = call.request_id();
  Status st = co_await pool_.Run(RecordJob{&mdt_, client, request, &rec});
  // Unrecorded, a resend runs the call again: harmless for a refused call, which changed
  // nothing; for open/close it counts the open again. Logged either way.
  if (!st.ok()) spdlog::error("mds: recording a reply: {}", st.ToString());
  call.MarkReplyRecorded();
}

// clang-format off
#define WEFT_MDS_READ_(name, req, resp)                                                   \
  Task<Result<resp>> MdsServiceImpl::name(rpc::ServerCall& call, const req& request) {   \
    return Read<req, resp>(call, request, &Mdt::name, false);                              \
  }
// Reads of a few point lookups and no locks, tried on the loop first (Read says how).
#define WEFT_MDS_LOOP_READ_(name, req, resp)                                              \
  Task<Result<resp>> MdsServiceImpl::name(rpc::ServerCall& call, const req& request) {   \
    return Read<req, resp>(call, request, &Mdt::name, true);                               \
  }
#define WEFT_MDS_CHANGE_(name, req, resp)                                                 \
  Task<Result<resp>> MdsServiceImpl::name(rpc::ServerCall& call, const req& request) {   \
    return Change<req, resp>(call, request, &Mdt::name);                                   \
  }
// clang-format on

WEFT_MDS_LOOP_READ_(Lookup, LookupRequest, AttrReply)
WEFT_MDS_LOOP_READ_(Getattr, GetattrRequest, AttrReply)
WEFT_MDS_LOOP_READ_(Readlink, ReadlinkRequest, ReadlinkReply)
WEFT_MDS_READ_(Readdir, ReaddirRequest, ReaddirReply)
WEFT_MDS_READ_(Statfs, StatfsRequest, StatfsReply)
WEFT_MDS_LOOP_READ_(Getxattr, GetxattrRequest, GetxattrReply)
WEFT_MDS_READ_(Listxattr, ListxattrRequest, ListxattrReply)
WEFT_MDS_LOOP_READ_(Access, AccessRequest, EmptyReply)
WEFT_MDS_READ_(GetLayout, GetLayoutRequest, LayoutReply)

WEFT_MDS_CHANGE_(Create, CreateRequest, EntryReply)
WEFT_MDS_CHANGE_(Mknod, MknodRequest, EntryReply)
WEFT_MDS_CHANGE_(Mkdir, MkdirRequest, EntryReply)
WEFT_MDS_CHANGE_(Unlink, UnlinkRequest, UnlinkReply)
WEFT_MDS_CHANGE_(Rmdir, UnlinkRequest, UnlinkReply)
WEFT_MDS_CHANGE_(Rename, RenameRequest, EmptyReply)
WEFT_MDS_CHANGE_(Link, LinkRequest, EntryReply)
WEFT_MDS_CHANGE_(Symlink, SymlinkRequest, EntryReply)
WEFT_MDS_CHANGE_(Setxattr, SetxattrRequest, EmptyReply)
WEFT_MDS_CHANGE_(Removexattr, RemovexattrRequest, EmptyReply)
WEFT_MDS_CHANGE_(SetLayout, SetLayoutRequest, LayoutReply)

Task<Result<AttrReply>> MdsServiceImpl::Open(rpc::ServerCall& call, const OpenRequest& request) {
  return ChangeThenRecordVolatile<OpenRequest, AttrReply>(call, request, &Mdt::Open);
}

Task<Result<EmptyReply>> MdsServiceImpl::Close(rpc::ServerCall& call,
                                               const CloseRequest& request) {
  return ChangeThenRecordVolatile<CloseRequest, EmptyReply>(call, request, &Mdt::Close);
}

// Mode, owner, times and size reports are seen at once and synced soon (Mdt::Setattr); a
// durable one (fsync's) waits for every change before it.
Task<Result<AttrReply>> MdsServiceImpl::Setattr(rpc::ServerCall& call,
                                                const SetattrRequest& request) {
  return Change<SetattrRequest, AttrReply>(call, request, &Mdt::Setattr, request.durable());
}

Task<Result<EmptyReply>> MdsServiceImpl::Sync(rpc::ServerCall&, const SyncRequest& request) {
  WEFT_CO_RETURN_IF_ERROR(CheckRequest(request));
  WEFT_CO_RETURN_IF_ERROR(co_await syncer_.SyncedAll());
  co_return EmptyReply();
}

}  // namespace weft::mds
