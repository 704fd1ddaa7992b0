#include "md_readdir.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "md_client.h"
#include "mds/mdt.h"
#include "mds/store/rocks_mdt_store.h"

namespace weft::bench {
namespace {

constexpr uint64_t kRoot = 1;  // MDT 0's root
constexpr int kFillThreads = 16;

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Nid MdsNid(const MdCluster& cluster) { return Nid{"127.0.0.1", cluster.mds_port(), "tcp"}; }

// Creates `n` files in `dir` over RPC from kFillThreads clients at once.
Status FillOverRpc(const MdCluster& cluster, uint64_t dir, uint64_t n) {
  std::vector<std::unique_ptr<MdClient>> clients;
  for (int t = 0; t < kFillThreads; ++t) {
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<MdClient> c, MdClient::Connect(MdsNid(cluster)));
    clients.push_back(std::move(c));
  }
  std::vector<Status> results(kFillThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kFillThreads; ++t) {
    PhaseJob job{.phase = Phase::kCreate, .dir = dir, .name_prefix = "entry.",
                 .first = uint64_t(t), .stride = kFillThreads,
                 .count = (n - t + kFillThreads - 1) / kFillThreads};
    threads.emplace_back([&clients, &results, t, job] {
      results[t] = clients[t]->RunPhase(job).status();
    });
  }
  for (std::thread& th : threads) th.join();
  for (const Status& st : results) WEFT_RETURN_IF_ERROR(st);
  return Status::Ok();
}

// Creates `n` files in `dir` through the Mdt library, with weft-mds stopped. The store
// does not sync its log per create, only once when it closes (a bulk load).
Status FillOffline(MdCluster& cluster, uint64_t dir, uint64_t n) {
  WEFT_RETURN_IF_ERROR(cluster.StopMds());
  {
    mds::RocksMdtStore::Options so;
    so.sync = false;
    WEFT_ASSIGN_OR_RETURN(
        std::unique_ptr<mds::RocksMdtStore> store,
        mds::RocksMdtStore::Open(cluster.mdt_db(), mds::RocksMdtStore::OpenMode::kExisting, so));
    mds::RoundRobinOstAllocator allocator;
    allocator.Update({mds::OstState{.index = 0, .active = true, .bytes_free = 1ull << 40}});
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<mds::Mdt> mdt, mds::Mdt::Open(std::move(store), &allocator));
    mds::CreateRequest r;
    r.set_parent(dir);
    r.set_mode(0644);
    r.set_exclusive(true);
    for (uint64_t i = 0; i < n; ++i) {
      r.set_name("entry." + std::to_string(i));
      WEFT_RETURN_IF_ERROR(mdt->Create(r).status());
      if (i % 100000 == 99999) std::fprintf(stderr, "md_bench:   %lu made\n", i + 1);
    }
  }
  return cluster.StartMds();
}

}  // namespace

Status RunReaddirScaling(MdCluster& cluster, const ReaddirScaling& options) {
  std::printf("\nreaddir scaling: list a directory to the end over RPC, default pages\n");
  std::printf("%10s %8s %10s %12s %12s %10s\n", "entries", "filled", "fill s", "median s",
              "entries/s", "us/entry");
  std::fflush(stdout);
  for (uint64_t n : options.sizes) {
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<MdClient> client, MdClient::Connect(MdsNid(cluster)));
    WEFT_ASSIGN_OR_RETURN(uint64_t dir, client->Mkdir(kRoot, "big." + std::to_string(n)));
    client.reset();
    bool offline = n > options.rpc_fill_max;
    std::fprintf(stderr, "md_bench: filling a directory of %lu entries %s\n", n,
                 offline ? "offline through the Mdt" : "over RPC");
    auto t0 = std::chrono::steady_clock::now();
    WEFT_RETURN_IF_ERROR(offline ? FillOffline(cluster, dir, n) : FillOverRpc(cluster, dir, n));
    double fill = Since(t0);
    WEFT_ASSIGN_OR_RETURN(client, MdClient::Connect(MdsNid(cluster)));
    std::vector<double> secs;
    for (size_t run = 0; run < options.runs; ++run) {
      auto l0 = std::chrono::steady_clock::now();
      WEFT_ASSIGN_OR_RETURN(uint64_t seen, client->ListAll(dir));
      secs.push_back(Since(l0));
      if (seen != n) {
        return Status(StatusCode::kInternal, "listed " + std::to_string(seen) + " entries of " +
                                                 std::to_string(n));
      }
      std::fprintf(stderr, "md_bench:   listed %lu in %.3f s\n", n, secs.back());
    }
    std::sort(secs.begin(), secs.end());
    double median = secs[secs.size() / 2];
    std::printf("%10lu %8s %10.1f %12.3f %12.0f %10.2f\n", n, offline ? "offline" : "rpc", fill,
                median, n / median, median * 1e6 / n);
    std::fflush(stdout);
  }
  return Status::Ok();
}

}  // namespace weft::bench
