// MdCluster: the daemons md_bench measures, started as an operator would start them.
//
// Under a work directory it formats an MDT and an OST with weftctl and runs weft-mgs, weft-oss
// and weft-mds from the build tree as real processes on loopback (free ports), waiting for each
// one's ready line. The OST is there because the MDS creates files only once an OST is UP. The
// daemons' output goes to WORKDIR/*.err; an error names the log to read.
//
// Threading: one thread owns a cluster.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace weft::bench {

// A child process whose stdout and stderr go to PREFIX.out and PREFIX.err; SIGTERM, then
// SIGKILL after 10 s, when destroyed while still running.
class Child {
 public:
  static Result<std::unique_ptr<Child>> Start(const std::vector<std::string>& argv,
                                              const std::string& prefix);
  ~Child();
  // Waits up to `seconds` for `line` to appear in its stderr; kUnavailable (with the log's
  // path) if it exits or the time runs out first.
  Status WaitForStderr(const std::string& line, double seconds);
  // Waits for the exit; the exit status (128 + signal if killed), -1 on timeout.
  int Wait(double seconds);
  pid_t pid() const { return pid_; }
  const std::string& err_path() const { return err_path_; }

 private:
  Child(pid_t pid, std::string err_path) : pid_(pid), err_path_(std::move(err_path)) {}
  pid_t pid_;
  std::string err_path_;
  int status_ = -1;  // set once reaped
};

// Runs `argv` to completion; ok if it exits 0, else an error with its stderr.
Status RunToCompletion(const std::vector<std::string>& argv, const std::string& prefix);

// User plus system CPU time of process `pid` so far, in microseconds (all its threads), from
// /proc/PID/stat; -1 if it cannot be read.
int64_t ProcessCpuMicros(pid_t pid);

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
uint16_t FreePort();

// The directory holding the build's binaries: the parent of the directory of this executable
// (BUILD/bench/md_bench -> BUILD).
std::string BuildDirOfSelf();

struct ClusterOptions {
  std::string build_dir;  // where src/mgs/weft-mgs etc. are
  std::string work_dir;   // MDT, OST, MGS data and logs go under it
  int mds_threads = 0;    // mds.threads; 0: the daemon's default
  // Stop weft-oss once the MDS is up (the MGS still lists the OST as UP): creates still get
  // layouts, but the destroy worker's Destroy calls fail and back off, so unlinks are measured
  // without the object destruction they queue. An experiment, not a normal run.
  bool stop_oss = false;
};

class MdCluster {
 public:
  // Formats and starts weft-mgs, weft-oss and weft-mds; returns once the MDS is registered
  // and an OST is up.
  static Result<std::unique_ptr<MdCluster>> Start(const ClusterOptions& options);
  ~MdCluster();  // SIGTERM to every daemon, MDS first

  uint16_t mds_port() const { return mds_port_; }
  pid_t mds_pid() const { return mds_->pid(); }
  std::string mdt_db() const { return options_.work_dir + "/mdt0/db"; }

  // Stops weft-mds cleanly (the MDT database is then free to open offline) and starts it
  // again; a restart returns once the MDS serves, without waiting for its MGS registration.
  Status StopMds();
  Status StartMds();

 private:
  explicit MdCluster(ClusterOptions options) : options_(std::move(options)) {}
  std::string Bin(const std::string& relative) const;
  static std::string Nid(uint16_t port);
  Status Format();
  Status StartMgsAndOss();

  ClusterOptions options_;
  uint16_t mgs_port_ = 0, oss_port_ = 0, mds_port_ = 0;
  int starts_ = 0;  // log file numbering for restarts
  std::unique_ptr<Child> mgs_, oss_, mds_;
};

}  // namespace weft::bench
