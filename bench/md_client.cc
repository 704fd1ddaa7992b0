#include "md_client.h"

#include <chrono>

namespace weft::bench {
namespace {

using namespace std::chrono_literals;
using mds::MdsService;

Task<Status> OpenClient(EventLoop* loop, Nid nid, std::unique_ptr<rpc::RpcClient>* client,
                        std::unique_ptr<MdsService::Stub>* stub) {
  rpc::RpcClient::Options o;
  o.host_hint = nid.host;
  WEFT_CO_ASSIGN_OR_RETURN(*client, rpc::RpcClient::Open(*loop, o));
  WEFT_CO_ASSIGN_OR_RETURN(rpc::PeerId peer, (*client)->AddPeer(nid));
  *stub = std::make_unique<MdsService::Stub>(client->get(), peer);
  co_return Status::Ok();
}

Task<void> CloseClient(std::unique_ptr<rpc::RpcClient>* client,
                       std::unique_ptr<MdsService::Stub>* stub) {
  stub->reset();
  client->reset();
  co_return;
}

Task<Result<uint64_t>> DoMkdir(MdsService::Stub* stub, uint64_t parent, std::string name) {
  mds::MkdirRequest r;
  r.set_parent(parent);
  r.set_name(std::move(name));
  r.set_mode(0777);
  WEFT_CO_ASSIGN_OR_RETURN(mds::EntryReply reply, co_await stub->Mkdir(r));
  co_return reply.inode().ino();
}

// One file's call of a create, stat or unlink phase.
Task<Status> OneCall(MdsService::Stub* stub, Phase phase, uint64_t dir, std::string name) {
  if (phase == Phase::kCreate) {
    mds::CreateRequest r;
    r.set_parent(dir);
    r.set_name(std::move(name));
    r.set_mode(0644);
    r.set_exclusive(true);
    co_return (co_await stub->Create(r)).status();
  }
  if (phase == Phase::kStat) {
    mds::LookupRequest r;
    r.set_parent(dir);
    r.set_name(std::move(name));
    co_return (co_await stub->Lookup(r)).status();
  }
  mds::UnlinkRequest r;
  r.set_parent(dir);
  r.set_name(std::move(name));
  co_return (co_await stub->Unlink(r)).status();
}

Task<Result<uint64_t>> DoListAll(MdsService::Stub* stub, uint64_t dir) {
  uint64_t entries = 0, cookie = 0;
  for (;;) {
    mds::ReaddirRequest r;
    r.set_ino(dir);
    r.set_cookie(cookie);
    WEFT_CO_ASSIGN_OR_RETURN(mds::ReaddirReply page, co_await stub->Readdir(r));
    entries += page.entries_size();
    if (page.eof() || page.entries_size() == 0) co_return entries;
    cookie = page.entries(page.entries_size() - 1).cookie();
  }
}

// One stream of calls: files lane, lane + inflight, ... of the job. Reports into *status and
// counts itself out of *running.
Task<void> Stream(MdsService::Stub* stub, const PhaseJob* job, uint64_t lane, Status* status,
                  uint32_t* running) {
  for (uint64_t i = lane; i < job->count && status->ok(); i += job->inflight) {
    std::string name = job->name_prefix + std::to_string(job->first + i * job->stride);
    Status st = co_await OneCall(stub, job->phase, job->dir, std::move(name));
    if (!st.ok()) {
      *status = Status(st.code(), std::string(PhaseName(job->phase)) + " of " +
                                      job->name_prefix + std::to_string(job->first + i * job->stride) +
                                      ": " + st.message());
    }
  }
  --*running;
}

Task<Result<uint64_t>> DoPhase(EventLoop* loop, MdsService::Stub* stub, PhaseJob job) {
  if (job.phase == Phase::kReaddir) co_return co_await DoListAll(stub, job.dir);
  Status status;
  if (job.inflight <= 1) {  // mdtest's way: one call at a time, no polling
    uint32_t one = 1;
    job.inflight = 1;
    co_await Stream(stub, &job, 0, &status, &one);
    WEFT_CO_RETURN_IF_ERROR(status);
    co_return job.count;
  }
  uint32_t running = job.inflight;
  for (uint32_t lane = 0; lane < job.inflight; ++lane) {
    loop->Spawn(Stream(stub, &job, lane, &status, &running));
  }
  while (running > 0) co_await loop->Sleep(200us);
  WEFT_CO_RETURN_IF_ERROR(status);
  co_return job.count;
}

}  // namespace

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kCreate: return "create";
    case Phase::kStat: return "stat";
    case Phase::kReaddir: return "readdir";
    case Phase::kUnlink: return "unlink";
  }
  return "?";
}

Result<std::unique_ptr<MdClient>> MdClient::Connect(const Nid& nid) {
  std::unique_ptr<MdClient> c(new MdClient());
  WEFT_RETURN_IF_ERROR(RunOn(c->loop(), OpenClient(&c->loop(), nid, &c->client_, &c->stub_)));
  return c;
}

MdClient::~MdClient() { RunOn(loop(), CloseClient(&client_, &stub_)); }

Result<uint64_t> MdClient::Mkdir(uint64_t parent, const std::string& name) {
  return RunOn(loop(), DoMkdir(stub_.get(), parent, name));
}

Result<uint64_t> MdClient::RunPhase(const PhaseJob& job) {
  return RunOn(loop(), DoPhase(&loop(), stub_.get(), job));
}

Result<uint64_t> MdClient::ListAll(uint64_t dir) { return RunOn(loop(), DoListAll(stub_.get(), dir)); }

}  // namespace weft::bench
