// MdClient: one md_bench thread: an RpcClient of the MDS on a loop thread of its own, and the
// phases it drives, mdtest style (one call at a time, or `inflight` streams of calls).
//
// Threading: Run* block the calling thread (any but the client's loop thread) until done;
// several MdClients run at once from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/event_loop.h"
#include "common/rpc_client.h"
#include "common/status.h"
#include "mds/mds_service.h"

namespace weft::bench {

enum class Phase { kCreate, kStat, kReaddir, kUnlink };
const char* PhaseName(Phase phase);

// The work of one thread in one phase: files NAME_PREFIX.i for i in [0, count) in `dir`.
struct PhaseJob {
  Phase phase = Phase::kCreate;
  uint64_t dir = 0;
  std::string name_prefix;
  uint64_t first = 0;  // the files are first, first + stride, ... (count of them)
  uint64_t stride = 1;
  uint64_t count = 0;
  uint32_t inflight = 1;
};

class MdClient {
 public:
  // Connects to the MDS at `nid`.
  static Result<std::unique_ptr<MdClient>> Connect(const Nid& nid);
  ~MdClient();

  // Creates directory `name` in `parent` (mode 0777); its inode number.
  Result<uint64_t> Mkdir(uint64_t parent, const std::string& name);
  // Runs one phase; the number of operations done (readdir: entries listed).
  Result<uint64_t> RunPhase(const PhaseJob& job);
  // Lists `dir` to the end in pages of the server's default size; the entries seen.
  Result<uint64_t> ListAll(uint64_t dir);

  mds::MdsService::Stub* stub() { return stub_.get(); }
  EventLoop& loop() { return thread_.loop(); }

 private:
  MdClient() = default;

  LoopThread thread_;
  std::unique_ptr<rpc::RpcClient> client_;
  std::unique_ptr<mds::MdsService::Stub> stub_;
};

}  // namespace weft::bench
