// oss_bench: one OSS driven over RPC, to compare with fio on the same directory.
//
//   oss_bench --dir /srv/bench-ost [--file-size-mib 256] [--seconds 2] [--runs 3]
//             [--inflight 1,8,32] [--modes write-seq,read-seq,write-rand,read-rand]
//             [--checksums=false] [--stream-writes=false]
//             [--spin-us N]  (default: DefaultLoopSpin(), event_loop.h)
//
// Serves the OST at --dir (formatting it as weft-OST0000 if it has no label) from an
// in-process RpcServer on loopback, and drives it from a client on another thread: 1 MiB
// sequential and 4 KiB random writes and reads of one object of --file-size-mib, with each
// --inflight count of calls in flight. Each run lasts --seconds; the median of --runs runs is
// printed last. The object is written in full (sequentially) before the reads.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <random>
#include <sstream>
#include <vector>

#include "common/event_loop.h"
#include "common/rpc_client.h"
#include "common/rpc_server.h"
#include "common/target_label.h"
#include "oss/object_store.h"
#include "oss/oss_handler.h"
#include "oss/oss_service.h"

namespace weft {
namespace {

using namespace std::chrono_literals;

struct Args {
  std::string dir;
  uint64_t file_size_mib = 256;
  double seconds = 2;
  size_t runs = 3;
  std::string inflight = "1,8,32";
  std::string modes = "write-seq,read-seq,write-rand,read-rand";
  bool checksums = true;
  bool stream_writes = true;
  int64_t spin_us = DefaultLoopSpin().count();
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

struct RunResult {
  double ops_per_s = 0, mb_per_s = 0, p50_us = 0;
};

Task<RunResult> Measure(EventLoop& loop, oss::OssService::Stub& stub, const Args& a,
                        bool write, bool seq, size_t inflight, bool* failed) {
  const uint64_t bs = seq ? (1 << 20) : 4096;
  const uint64_t blocks = (a.file_size_mib << 20) / bs;
  std::vector<double> lat;
  uint64_t next = 0;
  size_t running = inflight;
  auto end = Clock::now() + std::chrono::duration<double>(a.seconds);
  auto worker = [&](uint64_t seed) -> Task<void> {
    // Page aligned, like the bulk buffers the server uses.
    char* buf = static_cast<char*>(std::aligned_alloc(4096, bs));
    std::memset(buf, 'w', bs);
    std::mt19937_64 rng(seed);
    while (Clock::now() < end && !*failed) {
      uint64_t block = seq ? (next++ % blocks) : rng() % blocks;
      oss::ObjectId id;
      id.set_inode(1);
      rpc::CallOptions o;
      auto t0 = Clock::now();
      Status st;
      if (write) {
        oss::WriteRequest r;
        *r.mutable_object() = id;
        r.set_offset(block * bs);
        r.set_length(bs);
        o.send_payload = std::span<const char>(buf, bs);
        st = (co_await stub.Write(r, o)).status();
      } else {
        oss::ReadRequest r;
        *r.mutable_object() = id;
        r.set_offset(block * bs);
        r.set_length(bs);
        o.recv_payload = std::span<char>(buf, bs);
        st = (co_await stub.Read(r, o)).status();
      }
      if (!st.ok()) {
        std::fprintf(stderr, "oss_bench: call failed: %s\n", st.ToString().c_str());
        *failed = true;
        break;
      }
      lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    std::free(buf);
    --running;
  };
  auto start = Clock::now();
  for (size_t i = 0; i < inflight; ++i) loop.Spawn(worker(i + 1));
  while (running > 0) co_await loop.Sleep(1ms);
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  RunResult r;
  if (lat.empty()) co_return r;
  std::sort(lat.begin(), lat.end());
  r.ops_per_s = lat.size() / secs;
  r.mb_per_s = lat.size() * double(bs) / secs / 1e6;
  r.p50_us = lat[lat.size() / 2];
  co_return r;
}

// Writes the whole object once so that reads find data.
Task<Status> Fill(oss::OssService::Stub& stub, const Args& a) {
  std::vector<char> buf(1 << 20, 'f');
  for (uint64_t off = 0; off < (a.file_size_mib << 20); off += buf.size()) {
    oss::WriteRequest r;
    r.mutable_object()->set_inode(1);
    r.set_offset(off);
    r.set_length(buf.size());
    rpc::CallOptions o;
    o.send_payload = buf;
    WEFT_CO_RETURN_IF_ERROR((co_await stub.Write(r, o)).status());
  }
  oss::SyncRequest s;
  s.add_objects()->set_inode(1);
  co_return (co_await stub.Sync(s)).status();
}

int Run(const Args& a) {
  if (!ReadTargetLabel(a.dir).ok()) {
    TargetLabel label{"bench", "OST", 0, NewUuid(), "127.0.0.1:9880@tcp"};
    Status st = WriteTargetLabel(a.dir, label, false);
    if (!st.ok()) {
      std::fprintf(stderr, "oss_bench: %s\n", st.ToString().c_str());
      return 1;
    }
  }
  LoopThread server_thread({.name = "oss", .spin = std::chrono::microseconds(a.spin_us)});
  LoopThread client_thread({.name = "bench", .spin = std::chrono::microseconds(a.spin_us)});
  std::unique_ptr<oss::ObjectStore> store;
  oss::OssHandler handler;
  std::unique_ptr<rpc::RpcServer> server;
  Status st = RunOn(server_thread.loop(), [&]() -> Task<Status> {
    oss::ObjectStore::Options so;
    so.stream_writes = a.stream_writes;
    WEFT_CO_ASSIGN_OR_RETURN(store, oss::ObjectStore::Open(a.dir, so));
    handler.AddStore(store.get());
    WEFT_CO_ASSIGN_OR_RETURN(server, rpc::RpcServer::Start(server_thread.loop(), {}));
    server->AddService(oss::OssService::Table(&handler));
    co_return Status::Ok();
  }());
  if (!st.ok()) {
    std::fprintf(stderr, "oss_bench: %s\n", st.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rpc::RpcClient> client;
  std::unique_ptr<oss::OssService::Stub> stub;
  EventLoop& loop = client_thread.loop();
  st = RunOn(loop, [&]() -> Task<Status> {
    rpc::RpcClient::Options o;
    o.host_hint = "127.0.0.1";
    o.checksums = a.checksums;
    WEFT_CO_ASSIGN_OR_RETURN(client, rpc::RpcClient::Open(loop, o));
    WEFT_CO_ASSIGN_OR_RETURN(rpc::PeerId peer,
                             client->AddPeer(Nid{"127.0.0.1", server->port(), "tcp"}));
    stub = std::make_unique<oss::OssService::Stub>(client.get(), peer);
    co_return co_await Fill(*stub, a);
  }());
  int rc = 0;
  if (!st.ok()) {
    std::fprintf(stderr, "oss_bench: filling the object: %s\n", st.ToString().c_str());
    rc = 1;
  }
  for (const std::string& mode : rc == 0 ? Split(a.modes) : std::vector<std::string>{}) {
    bool write = mode.starts_with("write"), seq = mode.ends_with("seq");
    for (const std::string& n : Split(a.inflight)) {
      size_t inflight = std::stoul(n);
      std::vector<RunResult> runs;
      bool failed = false;
      for (size_t i = 0; i < a.runs && !failed; ++i) {
        runs.push_back(RunOn(loop, Measure(loop, *stub, a, write, seq, inflight, &failed)));
      }
      if (failed) {
        rc = 1;
        break;
      }
      std::sort(runs.begin(), runs.end(),
                [](const RunResult& x, const RunResult& y) { return x.ops_per_s < y.ops_per_s; });
      const RunResult& m = runs[runs.size() / 2];
      std::printf("median %-10s bs %7s inflight %3zu: %9.0f IOPS %8.1f MB/s p50 %8.1f us\n",
                  mode.c_str(), seq ? "1MiB" : "4KiB", inflight, m.ops_per_s, m.mb_per_s,
                  m.p50_us);
      std::fflush(stdout);
    }
  }
  rpc::ServerStats ss = server->stats();  // safe from any thread; the client's are not
  rpc::ClientStats cs =
      RunOn(loop, [&]() -> Task<rpc::ClientStats> { co_return client->stats(); }());
  std::printf("checksum errors: server %llu, client %llu; resends %llu\n",
              static_cast<unsigned long long>(ss.checksum_errors),
              static_cast<unsigned long long>(cs.checksum_errors),
              static_cast<unsigned long long>(cs.resends));
  std::printf(
      "messages: %llu requests in %llu bundles and alone; %llu replies, %llu bundles "
      "of them\n",
      static_cast<unsigned long long>(ss.requests),
      static_cast<unsigned long long>(ss.bundles_received),
      static_cast<unsigned long long>(ss.replies),
      static_cast<unsigned long long>(ss.bundles_sent));
  RunOn(loop, [&]() -> Task<void> {
    stub.reset();
    client.reset();
    co_return;
  }());
  RunOn(server_thread.loop(), [&]() -> Task<void> {
    co_await server->Shutdown();
    server.reset();
    store.reset();
  }());
  return rc;
}

}  // namespace
}  // namespace weft

int main(int argc, char** argv) {
  weft::Args a;
  CLI::App app("One OSS over RPC on loopback: 1 MiB sequential and 4 KiB random, read and write",
               "oss_bench");
  app.add_option("--dir", a.dir, "The OST directory (formatted if it has no label)")->required();
  app.add_option("--file-size-mib", a.file_size_mib, "Size of the object driven");
  app.add_option("--seconds", a.seconds, "Length of one run");
  app.add_option("--runs", a.runs, "Runs per point; the median is reported");
  app.add_option("--inflight", a.inflight, "Calls in flight, comma separated");
  app.add_option("--modes", a.modes, "write-seq, read-seq, write-rand, read-rand");
  app.add_option("--checksums", a.checksums, "crc32c over every payload (true, false)");
  app.add_option("--stream-writes", a.stream_writes,
                 "Write 1 MiB payloads to disk piece by piece as they arrive (true, false)");
  app.add_option("--spin-us", a.spin_us, "How long an idle event loop polls before it sleeps");
  CLI11_PARSE(app, argc, argv);
  return weft::Run(a);
}
