#include "md_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "testing/loopback_port.h"

extern char** environ;

namespace weft::bench {
namespace {

using namespace std::chrono_literals;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Result<std::unique_ptr<Child>> Child::Start(const std::vector<std::string>& argv,
                                            const std::string& prefix) {
  std::string out = prefix + ".out", err = prefix + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Status(StatusCode::kNotFound, "cannot run " + argv[0] + ": " + std::strerror(rc) +
                                             " (is it built? give --build)");
  }
  return std::unique_ptr<Child>(new Child(pid, err));
}

Child::~Child() {
  if (status_ >= 0) return;
  kill(pid_, SIGTERM);
  if (Wait(10) < 0) {
    kill(pid_, SIGKILL);
    Wait(10);
  }
}

int Child::Wait(double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (status_ < 0) {
    int ws = 0;
    pid_t r = waitpid(pid_, &ws, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
      break;
    }
    if (std::chrono::steady_clock::now() > end) return -1;
    std::this_thread::sleep_for(10ms);
  }
  return status_;
}

Status Child::WaitForStderr(const std::string& line, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (ReadWhole(err_path_).find(line) != std::string::npos) return Status::Ok();
    if (Wait(0) >= 0) {
      return Status(StatusCode::kUnavailable,
                    "exited (status " + std::to_string(status_) + ") before saying '" + line +
                        "'; see " + err_path_);
    }
    std::this_thread::sleep_for(20ms);
  }
  return Status(StatusCode::kUnavailable,
                "did not say '" + line + "' within " + std::to_string(int(seconds)) +
                    " s; see " + err_path_);
}

Status RunToCompletion(const std::vector<std::string>& argv, const std::string& prefix) {
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<Child> child, Child::Start(argv, prefix));
  int rc = child->Wait(60);
  if (rc == 0) return Status::Ok();
  return Status(StatusCode::kInternal, argv[0] + " " + argv[1] + " failed (exit " +
                                           std::to_string(rc) + "): " +
                                           ReadWhole(child->err_path()));
}

int64_t ProcessCpuMicros(pid_t pid) {
  std::string stat = ReadWhole("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  int64_t utime = 0, stime = 0;
  // Fields 3.. follow the name; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return (utime + stime) * 1000000 / sysconf(_SC_CLK_TCK);
}

uint16_t FreePort() { return ReserveLoopbackPort(); }

std::string BuildDirOfSelf() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return self.parent_path().parent_path().string();
}

std::string MdCluster::Bin(const std::string& relative) const {
  return options_.build_dir + "/" + relative;
}

std::string MdCluster::Nid(uint16_t port) { return "127.0.0.1:" + std::to_string(port) + "@tcp"; }

Result<std::unique_ptr<MdCluster>> MdCluster::Start(const ClusterOptions& options) {
  std::unique_ptr<MdCluster> c(new MdCluster(options));
  c->mgs_port_ = FreePort();
  c->oss_port_ = FreePort();
  c->mds_port_ = FreePort();
  WEFT_RETURN_IF_ERROR(c->Format());
  WEFT_RETURN_IF_ERROR(c->StartMgsAndOss());
  WEFT_RETURN_IF_ERROR(c->StartMds());
  if (options.stop_oss) c->oss_.reset();
  return c;
}

MdCluster::~MdCluster() {
  mds_.reset();
  oss_.reset();
  mgs_.reset();
}

Status MdCluster::Format() {
  const std::string& w = options_.work_dir;
  std::error_code ec;
  std::filesystem::create_directories(w + "/mgs", ec);
  if (ec) return Status(StatusCode::kIoError, "creating " + w + "/mgs: " + ec.message());
  for (const char* type : {"mdt", "ost"}) {
    std::string target = w + "/" + type + "0";
    WEFT_RETURN_IF_ERROR(RunToCompletion({Bin("src/tools/weftctl"), "mkfs",
                                          std::string("--") + type, "--fsname", "weft",
                                          "--index", "0", "--mgs", Nid(mgs_port_), target},
                                         w + "/mkfs-" + type));
  }
  return Status::Ok();
}

Status MdCluster::StartMgsAndOss() {
  const std::string& w = options_.work_dir;
  WEFT_ASSIGN_OR_RETURN(mgs_, Child::Start({Bin("src/mgs/weft-mgs"), "--mgs.fsname=weft",
                                            "--mgs.data_dir=" + w + "/mgs",
                                            "--mgs.listen=" + Nid(mgs_port_),
                                            "--mgs.target_down_after_ms=" +
                                                std::string(options_.stop_oss ? "3600000" : "15000")},
                                           w + "/mgs"));
  WEFT_RETURN_IF_ERROR(mgs_->WaitForStderr("weft-mgs: serving fsname weft", 30));
  WEFT_ASSIGN_OR_RETURN(oss_, Child::Start({Bin("src/oss/weft-oss"), "--target", w + "/ost0",
                                            "--oss.listen=" + Nid(oss_port_)},
                                           w + "/oss"));
  return oss_->WaitForStderr("weft-OST0000 registered with the MGS", 30);
}

Status MdCluster::StartMds() {
  const std::string& w = options_.work_dir;
  std::vector<std::string> argv{Bin("src/mds/weft-mds"), "--target", w + "/mdt0",
                                "--mds.listen=" + Nid(mds_port_)};
  if (options_.mds_threads > 0) {
    argv.push_back("--mds.threads=" + std::to_string(options_.mds_threads));
  }
  bool first = starts_ == 0;
  WEFT_ASSIGN_OR_RETURN(mds_, Child::Start(argv, w + "/mds" + std::to_string(starts_++)));
  // A restart may replay a large log first; it serves as soon as the MDT is open (its
  // registration with the MGS, which the first start waits for, only matters for creates).
  if (!first) return mds_->WaitForStderr("weft-MDT0000 open, serving on", 600);
  return mds_->WaitForStderr("weft-mds: serving weft-MDT0000 on", 60);
}

Status MdCluster::StopMds() {
  kill(mds_->pid(), SIGTERM);
  int rc = mds_->Wait(30);
  if (rc != 0) {
    return Status(StatusCode::kInternal, "weft-mds did not stop cleanly (status " +
                                             std::to_string(rc) + "); see " + mds_->err_path());
  }
  mds_.reset();
  return Status::Ok();
}

}  // namespace weft::bench
