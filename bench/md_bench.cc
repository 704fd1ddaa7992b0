// md_bench: the metadata benchmark (mdtest-like) of one MDS over RPC, beside its ceiling.
//
//   md_bench [--files 1000] [--threads 1,4,16] [--runs 3] [--layouts shared,private]
//            [--phases create,stat,readdir,unlink] [--inflight 1] [--no-ceiling]
//            [--readdir-sizes 10000,100000,1000000] [--readdir-rpc-max 100000]
//            [--dir WORKDIR] [--build BUILD] [--mds-threads N] [--mds NID [--mds-pid PID]]
//            [--stop-oss]
//
// Without --mds it formats an MDT and an OST under WORKDIR (default: a fresh directory under
// $TMPDIR or /tmp, removed at the end) and runs weft-mgs, weft-oss and weft-mds from the build
// tree as real processes on loopback. Each of T threads has its own RpcClient on its own loop
// thread and issues its calls one at a time (mdtest's way), or --inflight streams of them.
// Phases: create (Create, exclusive), stat (Lookup), readdir (list the directory to the end,
// counted in entries), unlink; in one directory shared by all threads, or one per thread.
// The server's CPU time (user + system of weft-mds, from /proc) is read around every phase.
//
// The ceiling (md_ceiling.h): synced RocksDB write batches of a create's and an unlink's shape,
// and a Lookup's two point reads, at the same thread counts, on the same disk, interleaved
// with the RPC runs. Every figure printed is the median over --runs runs, with min and max.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "md_ceiling.h"
#include "md_client.h"
#include "md_cluster.h"
#include "md_readdir.h"
#include "common/nid.h"

namespace weft::bench {
namespace {

constexpr uint64_t kRoot = 1;  // MDT 0's root

struct Args {
  uint64_t files = 1000;
  std::string threads = "1,4,16";
  size_t runs = 3;
  std::string layouts = "shared,private";
  std::string phases = "create,stat,readdir,unlink";
  uint32_t inflight = 1;
  bool no_ceiling = false;
  std::string readdir_sizes;
  uint64_t readdir_rpc_max = 100000;
  std::string dir;
  std::string build;
  int mds_threads = 0;
  std::string mds;
  int mds_pid = 0;
  bool stop_oss = false;
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Result<std::vector<Phase>> ParsePhases(const std::string& s) {
  std::vector<Phase> out;
  for (const std::string& p : Split(s)) {
    if (p == "create") out.push_back(Phase::kCreate);
    else if (p == "stat") out.push_back(Phase::kStat);
    else if (p == "readdir") out.push_back(Phase::kReaddir);
    else if (p == "unlink") out.push_back(Phase::kUnlink);
    else return Status(StatusCode::kInvalidArgument, "unknown phase '" + p + "' (create, stat, readdir, unlink)");
  }
  bool create = std::find(out.begin(), out.end(), Phase::kCreate) != out.end();
  if (!create && !out.empty()) {
    return Status(StatusCode::kInvalidArgument, "stat, readdir and unlink need the create phase");
  }
  return out;
}

struct Samples {
  std::vector<double> rate, cpu_us;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string Key(const std::string& what, const std::string& layout, int threads) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%s|%s|%03d", what.c_str(), layout.c_str(), threads);
  return buf;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

class Bench {
 public:
  Bench(const Args& args, Nid nid, pid_t mds_pid) : a_(args), nid_(std::move(nid)), pid_(mds_pid) {}

  Status RunOne(size_t run, int threads, MdCeiling* ceiling, const std::vector<Phase>& phases);
  void Report(const std::vector<int>& threads, const std::vector<Phase>& phases) const;

 private:
  Status Layout(size_t run, int threads, const std::string& layout,
                const std::vector<Phase>& phases,
                std::vector<std::unique_ptr<MdClient>>& clients);
  Result<double> Timed(Phase phase, std::vector<std::unique_ptr<MdClient>>& clients,
                       const std::vector<PhaseJob>& jobs, double* cpu_us_per_op);
  void Add(const std::string& key, double rate, double cpu) {
    samples_[key].rate.push_back(rate);
    if (cpu >= 0) samples_[key].cpu_us.push_back(cpu);
  }

  const Args& a_;
  Nid nid_;
  pid_t pid_;
  uint64_t round_ = 0;
  std::map<std::string, Samples> samples_;
};

Result<double> Bench::Timed(Phase phase, std::vector<std::unique_ptr<MdClient>>& clients,
                            const std::vector<PhaseJob>& jobs, double* cpu_us_per_op) {
  std::vector<Result<uint64_t>> done(jobs.size(), uint64_t{0});
  int64_t cpu0 = pid_ > 0 ? ProcessCpuMicros(pid_) : -1;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (size_t t = 0; t < jobs.size(); ++t) {
    workers.emplace_back([&clients, &done, &jobs, t] { done[t] = clients[t]->RunPhase(jobs[t]); });
  }
  for (std::thread& w : workers) w.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int64_t cpu1 = pid_ > 0 ? ProcessCpuMicros(pid_) : -1;
  uint64_t ops = 0;
  for (const Result<uint64_t>& d : done) {
    WEFT_RETURN_IF_ERROR(d.status());
    ops += *d;
  }
  *cpu_us_per_op = (cpu0 >= 0 && cpu1 >= 0 && ops > 0) ? double(cpu1 - cpu0) / ops : -1;
  (void)phase;
  return ops / secs;
}

Status Bench::Layout(size_t run, int threads, const std::string& layout,
                     const std::vector<Phase>& phases,
                     std::vector<std::unique_ptr<MdClient>>& clients) {
  std::string base = "r" + std::to_string(run) + ".t" + std::to_string(threads) + "." + layout;
  std::vector<PhaseJob> jobs(threads);
  bool shared = layout == "shared";
  uint64_t shared_dir = 0;
  if (shared) {
    WEFT_ASSIGN_OR_RETURN(shared_dir, clients[0]->Mkdir(kRoot, base));
  }
  for (int t = 0; t < threads; ++t) {
    PhaseJob& job = jobs[t];
    job.dir = shared_dir;
    if (!shared) {
      WEFT_ASSIGN_OR_RETURN(job.dir, clients[t]->Mkdir(kRoot, base + "." + std::to_string(t)));
    }
    job.name_prefix = "f." + std::to_string(t) + ".";
    job.count = a_.files;
    job.inflight = a_.inflight;
  }
  for (Phase phase : phases) {
    for (PhaseJob& job : jobs) job.phase = phase;
    double cpu = -1;
    WEFT_ASSIGN_OR_RETURN(double rate, Timed(phase, clients, jobs, &cpu));
    Add(Key(PhaseName(phase), layout, threads), rate, cpu);
    std::fprintf(stderr, "md_bench: run %zu threads %2d %-7s %-7s %9.0f ops/s  %7.1f us CPU/op\n",
                 run + 1, threads, layout.c_str(), PhaseName(phase), rate, cpu);
  }
  return Status::Ok();
}

Status Bench::RunOne(size_t run, int threads, MdCeiling* ceiling,
                     const std::vector<Phase>& phases) {
  std::vector<std::unique_ptr<MdClient>> clients;
  for (int t = 0; t < threads; ++t) {
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<MdClient> c, MdClient::Connect(nid_));
    clients.push_back(std::move(c));
  }
  for (const std::string& layout : Split(a_.layouts)) {
    WEFT_RETURN_IF_ERROR(Layout(run, threads, layout, phases, clients));
  }
  if (ceiling == nullptr) return Status::Ok();
  uint64_t round = ++round_;
  WEFT_ASSIGN_OR_RETURN(double c, ceiling->Creates(threads, a_.files, round));
  WEFT_ASSIGN_OR_RETURN(double s, ceiling->Stats(threads, a_.files, round));
  WEFT_ASSIGN_OR_RETURN(double u, ceiling->Unlinks(threads, a_.files, round));
  Add(Key("create", "ceiling", threads), c, -1);
  Add(Key("stat", "ceiling", threads), s, -1);
  Add(Key("unlink", "ceiling", threads), u, -1);
  std::fprintf(stderr, "md_bench: run %zu threads %2d ceiling create %.0f stat %.0f unlink %.0f /s\n",
               run + 1, threads, c, s, u);
  return Status::Ok();
}

void Bench::Report(const std::vector<int>& threads, const std::vector<Phase>& phases) const {
  std::printf("\n%-8s %-8s %7s %11s %10s %10s %9s %11s %7s\n", "phase", "layout", "threads",
              "median/s", "min/s", "max/s", "CPU us/op", "ceiling/s", "ratio");
  for (Phase phase : phases) {
    for (const std::string& layout : Split(a_.layouts)) {
      for (int t : threads) {
        auto it = samples_.find(Key(PhaseName(phase), layout, t));
        if (it == samples_.end()) continue;
        const std::vector<double>& r = it->second.rate;
        double median = Median(r);
        auto c = samples_.find(Key(PhaseName(phase), "ceiling", t));
        double ceiling = c == samples_.end() ? 0 : Median(c->second.rate);
        double cpu = it->second.cpu_us.empty() ? -1 : Median(it->second.cpu_us);
        std::printf("%-8s %-8s %7d %11.0f %10.0f %10.0f %9.1f", PhaseName(phase), layout.c_str(),
                    t, median, *std::min_element(r.begin(), r.end()),
                    *std::max_element(r.begin(), r.end()), cpu);
        if (ceiling > 0) {
          std::printf(" %11.0f %6.0f%%\n", ceiling, 100 * median / ceiling);
        } else {
          std::printf(" %11s %7s\n", "-", "-");
        }
      }
    }
  }
  std::fflush(stdout);
}

std::string MakeWorkDir(const Args& a, bool* remove) {
  *remove = a.dir.empty();
  if (!a.dir.empty()) return a.dir;
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr ? tmp : "/tmp") + "/weft-md-bench.XXXXXX";
  char* made = mkdtemp(templ.data());
  return made != nullptr ? templ : std::string();
}

int Fail(const Status& st) {
  std::fprintf(stderr, "md_bench: %s\n", st.ToString().c_str());
  return 1;
}

int Run(const Args& a) {
  Result<std::vector<Phase>> phases = ParsePhases(a.phases);
  if (!phases.ok()) return Fail(phases.status());
  std::vector<int> threads;
  for (const std::string& t : Split(a.threads)) threads.push_back(std::stoi(t));
  bool remove = false;
  std::string work = MakeWorkDir(a, &remove);
  if (work.empty()) return Fail(Status(StatusCode::kIoError, "cannot make a work directory"));
  std::unique_ptr<MdCluster> cluster;
  Nid nid;
  pid_t pid = a.mds_pid;
  if (a.mds.empty()) {
    ClusterOptions co{.build_dir = a.build.empty() ? BuildDirOfSelf() : a.build,
                      .work_dir = work, .mds_threads = a.mds_threads,
                      .stop_oss = a.stop_oss};
    Result<std::unique_ptr<MdCluster>> c = MdCluster::Start(co);
    if (!c.ok()) return Fail(c.status());
    cluster = std::move(c).value();
    nid = Nid{"127.0.0.1", cluster->mds_port(), "tcp"};
    pid = cluster->mds_pid();
  } else {
    Result<Nid> parsed = ParseNid(a.mds);
    if (!parsed.ok()) return Fail(parsed.status());
    nid = *parsed;
  }
  std::unique_ptr<MdCeiling> ceiling;
  if (!a.no_ceiling && !phases->empty()) {
    Result<std::unique_ptr<MdCeiling>> c = MdCeiling::Open(work + "/ceiling-db");
    if (!c.ok()) return Fail(c.status());
    ceiling = std::move(c).value();
  }
  std::printf("md_bench: %lu files per thread, %zu runs, %u in flight per thread, load %s\n",
              a.files, a.runs, a.inflight, LoadAverage().c_str());
  std::fflush(stdout);
  Bench bench(a, nid, pid);
  for (size_t run = 0; run < a.runs && !phases->empty(); ++run) {
    for (int t : threads) {
      Status st = bench.RunOne(run, t, ceiling.get(), *phases);
      if (!st.ok()) return Fail(st);
    }
  }
  if (!phases->empty()) bench.Report(threads, *phases);
  ceiling.reset();
  std::vector<uint64_t> sizes;
  for (const std::string& s : Split(a.readdir_sizes)) sizes.push_back(std::stoull(s));
  if (!sizes.empty()) {
    if (!cluster) return Fail(Status(StatusCode::kInvalidArgument, "readdir scaling needs the MDS md_bench starts (no --mds)"));
    Status st = RunReaddirScaling(*cluster, {.sizes = sizes, .rpc_fill_max = a.readdir_rpc_max, .runs = a.runs});
    if (!st.ok()) return Fail(st);
  }
  std::printf("load at the end: %s\n", LoadAverage().c_str());
  cluster.reset();
  std::error_code ec;
  if (remove) std::filesystem::remove_all(work, ec);
  return 0;
}

}  // namespace
}  // namespace weft::bench

int main(int argc, char** argv) {
  weft::bench::Args a;
  CLI::App app("The metadata benchmark: one MDS over RPC beside its RocksDB ceiling", "md_bench");
  app.add_option("--files", a.files, "Files per thread per run");
  app.add_option("--threads", a.threads, "Client threads, comma separated");
  app.add_option("--runs", a.runs, "Runs per point; medians are reported");
  app.add_option("--layouts", a.layouts, "shared (one directory), private (one per thread)");
  app.add_option("--phases", a.phases, "create, stat, readdir, unlink (in that order)");
  app.add_option("--inflight", a.inflight, "Calls in flight per thread (1: mdtest's way)")
      ->check(CLI::Range(1u, 64u));
  app.add_flag("--no-ceiling", a.no_ceiling, "Skip the RocksDB ceiling");
  app.add_option("--readdir-sizes", a.readdir_sizes, "Directory sizes to list, comma separated");
  app.add_option("--readdir-rpc-max", a.readdir_rpc_max,
                 "Larger directories are filled offline through the Mdt, not over RPC");
  app.add_option("--dir", a.dir, "Work directory (MDT, OST, ceiling database, daemon logs)");
  app.add_option("--build", a.build, "Build directory holding the daemons (default: ours)");
  app.add_option("--mds-threads", a.mds_threads, "mds.threads of the weft-mds started");
  app.add_option("--mds", a.mds, "Use this running MDS (NID) instead of starting one");
  app.add_option("--mds-pid", a.mds_pid, "With --mds: its pid, for the CPU per operation");
  app.add_flag("--stop-oss", a.stop_oss,
               "Experiment: stop weft-oss once the MDS is up, so that unlinks run without the "
               "destroy worker's object destruction");
  CLI11_PARSE(app, argc, argv);
  return weft::bench::Run(a);
}
