// fs_md_bench: metadata rates of any mounted directory through POSIX calls, mdtest-like, so a
// Weft mount and a FUSE passthrough mount of the same disk are measured by the same code.
//
//   fs_md_bench --dir DIR [--threads 1,4] [--files 10000] [--runs 3]
//
// Each thread works in its own subdirectory: create (open O_CREAT|O_EXCL + close) of --files
// files, stat of each, unlink of each. Per phase and thread count it prints the median ops/s
// over the runs, and the lowest and highest.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

enum class Phase { kCreate, kStat, kUnlink };
const char* Name(Phase p) {
  switch (p) {
    case Phase::kCreate:
      return "create";
    case Phase::kStat:
      return "stat";
    case Phase::kUnlink:
      return "unlink";
  }
  return "?";
}

// Runs one phase on `threads` threads over their own directories; ops/s, or -1 on an error.
double RunPhase(Phase phase, const std::string& base, int threads, int files) {
  std::atomic<bool> failed{false};
  std::barrier start(threads + 1);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::string dir = base + "/t" + std::to_string(t) + "/";
      start.arrive_and_wait();
      char name[64];
      for (int i = 0; i < files && !failed; ++i) {
        std::snprintf(name, sizeof name, "f%07d", i);
        std::string path = dir + name;
        int rc = 0;
        if (phase == Phase::kCreate) {
          int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
          rc = fd < 0 ? -1 : close(fd);
        } else if (phase == Phase::kStat) {
          struct stat st;
          rc = stat(path.c_str(), &st);
        } else {
          rc = unlink(path.c_str());
        }
        if (rc != 0) {
          std::fprintf(stderr, "fs_md_bench: %s %s: %s\n", Name(phase), path.c_str(),
                       std::strerror(errno));
          failed = true;
        }
      }
    });
  }
  // The clock starts before the workers are let go: read after the barrier, it could start
  // when they were already done (a thread descheduled there made stat rates of 2e9/s).
  auto t0 = Clock::now();
  start.arrive_and_wait();
  for (auto& w : workers) w.join();
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (failed) return -1;
  return static_cast<double>(threads) * files / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Metadata rates (create, stat, unlink) of a mounted directory through POSIX calls",
               "fs_md_bench"};
  std::string dir;
  std::vector<int> thread_counts = {1, 4};
  int files = 10000;
  int runs = 3;
  app.add_option("--dir", dir, "Directory to work in (on the file system measured)")->required();
  app.add_option("--threads", thread_counts, "Thread counts to run, e.g. 1,4")->delimiter(',');
  app.add_option("--files", files, "Files per thread")->check(CLI::Range(1, 10'000'000));
  app.add_option("--runs", runs, "Runs per thread count (median reported)")
      ->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);

  std::printf("%-8s %7s %12s %12s %12s\n", "phase", "threads", "median/s", "min/s", "max/s");
  for (int threads : thread_counts) {
    std::vector<double> rates[3];
    for (int run = 0; run < runs; ++run) {
      std::string base = dir + "/fs_md_bench." + std::to_string(getpid()) + "." +
                         std::to_string(threads) + "." + std::to_string(run);
      if (mkdir(base.c_str(), 0755) != 0) {
        std::fprintf(stderr, "fs_md_bench: mkdir %s: %s\n", base.c_str(), std::strerror(errno));
        return 1;
      }
      for (int t = 0; t < threads; ++t) {
        std::string sub = base + "/t" + std::to_string(t);
        if (mkdir(sub.c_str(), 0755) != 0) {
          std::fprintf(stderr, "fs_md_bench: mkdir %s: %s\n", sub.c_str(), std::strerror(errno));
          return 1;
        }
      }
      for (Phase p : {Phase::kCreate, Phase::kStat, Phase::kUnlink}) {
        std::fprintf(stderr, "\rthreads %d run %d/%d: %-6s", threads, run + 1, runs, Name(p));
        double r = RunPhase(p, base, threads, files);
        if (r < 0) return 1;
        rates[static_cast<int>(p)].push_back(r);
      }
      for (int t = 0; t < threads; ++t) rmdir((base + "/t" + std::to_string(t)).c_str());
      rmdir(base.c_str());
    }
    std::fprintf(stderr, "\r%40s\r", "");
    for (Phase p : {Phase::kCreate, Phase::kStat, Phase::kUnlink}) {
      std::vector<double>& v = rates[static_cast<int>(p)];
      std::sort(v.begin(), v.end());
      std::printf("%-8s %7d %12.0f %12.0f %12.0f\n", Name(p), threads, v[v.size() / 2], v.front(),
                  v.back());
    }
  }
  return 0;
}
