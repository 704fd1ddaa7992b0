// weft-fuse's life: parse, detach (unless -f), mount the client, mount FUSE, serve, unmount.
#include "client/fuse/weft_fuse.h"

#include <fcntl.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "client/fuse/entry_invalidator.h"
#include "client/fuse/fuse_api.h"
#include "common/log.h"
#include "common/metrics.h"

namespace weft::fuse {
namespace {

constexpr int kExitUsage = 1;
constexpr int kExitMountFailed = 32;

// Tells the waiting parent (detached mode) how the mount went: "" for success, else the error.
class Notifier {
 public:
  explicit Notifier(int fd) : fd_(fd) {}
  ~Notifier() { Close(); }
  void Send(const std::string& error) {
    if (fd_ < 0) return;
    std::string msg = error.empty() ? "OK" : "ERR " + error;
    ssize_t ignored = write(fd_, msg.data(), msg.size());
    (void)ignored;
    Close();
  }

 private:
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int fd_;
};

// The parent in detached mode: waits for the child's word. The child stays behind, mounted.
int WaitForChild(int fd, pid_t child, const char* program) {
  std::string msg;
  char buf[512];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      msg.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(fd);
  if (msg == "OK") return 0;
  if (msg.starts_with("ERR ")) {
    std::fprintf(stderr, "%s: %s\n", program, msg.c_str() + 4);
  } else {
    int status = 0;
    waitpid(child, &status, 0);
    std::fprintf(stderr, "%s: the FUSE client exited before mounting (status %d)\n", program,
                 status);
  }
  return kExitMountFailed;
}

// Detached, the daemon's logs go to syslog (the journal), its stdio to /dev/null.
void Detach(const char* program, const std::string& level) {
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
  }
  auto logger = spdlog::syslog_logger_mt("weft-fuse-syslog", program, LOG_PID, LOG_DAEMON);
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

// Serves /metrics when -o metrics_port says so. A port in use is an error naming it.
Status StartMetrics(const char* program, const FuseOptions& options, MetricsServer& server) {
  Status st = server.Start(options.metrics);
  if (st.code() == StatusCode::kBusy) {
    return Status(st.code(), "metrics endpoint " + options.metrics.address + ":" +
                                 std::to_string(options.metrics.port) +
                                 " is in use; choose another -o metrics_port (0: any free port)");
  }
  if (!st.ok()) return st.WithContext("cannot serve metrics");
  if (server.port() != 0) {
    spdlog::info("{}: metrics at http://{}:{}/metrics", program, options.metrics.address,
                 server.port());
  }
  return Status::Ok();
}

}  // namespace

int RunWeftFuse(int argc, const char* const* argv, bool mount_helper) {
  const char* program = mount_helper ? "mount.weft" : "weft-fuse";
  FuseOptions options;
  Result<FuseParseOutcome> parsed = ParseFuseCommandLine(argc, argv, mount_helper, &options);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s: %s\n", program, parsed.status().message().c_str());
    return kExitUsage;
  }
  if (*parsed == FuseParseOutcome::kHelpShown) return 0;
  struct stat st;
  if (stat(options.mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::fprintf(stderr, "%s: mount point %s is not a directory%s; create it first\n", program,
                 options.mountpoint.c_str(), errno == ENOENT ? " (it does not exist)" : "");
    return kExitMountFailed;
  }

  // Detach before any thread starts: fork copies only the calling thread.
  int notify_fd = -1;
  if (!options.foreground) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      std::fprintf(stderr, "%s: pipe: %s\n", program, std::strerror(errno));
      return kExitMountFailed;
    }
    pid_t pid = fork();
    if (pid < 0) {
      std::fprintf(stderr, "%s: fork: %s\n", program, std::strerror(errno));
      return kExitMountFailed;
    }
    if (pid > 0) {
      close(fds[1]);
      return WaitForChild(fds[0], pid, program);
    }
    close(fds[0]);
    notify_fd = fds[1];
    setsid();
    if (chdir("/") != 0) {
      // Not fatal: the mount point is absolute.
    }
  }
  Notifier notifier(notify_fd);
  if (Status st = InitLogging(program, options.log_level); !st.ok()) {
    notifier.Send(st.message());
    std::fprintf(stderr, "%s: %s\n", program, st.message().c_str());
    return kExitUsage;
  }

  // After the fork: the server's threads must run in the process that stays.
  FuseMetrics metrics(MetricsRegistry::Global());
  MetricsServer metrics_server(MetricsRegistry::Global());
  if (Status st = StartMetrics(program, options, metrics_server); !st.ok()) {
    spdlog::error("{}: {}", program, st.message());
    notifier.Send(st.message());
    return kExitMountFailed;
  }

  Result<std::unique_ptr<client::Client>> client =
      client::Client::Mount(options.source, options.client);
  if (!client.ok()) {
    std::string error = "cannot mount " + options.source + ": " + client.status().message();
    spdlog::error("{}", error);
    notifier.Send(error);
    return kExitMountFailed;
  }

  NoCapabilityCache no_caps(std::chrono::duration_cast<NoCapabilityCache::Clock::duration>(
      std::chrono::duration<double>(options.attr_timeout)));
  CallerGroupsCache groups(std::chrono::duration_cast<CallerGroupsCache::Clock::duration>(
      std::chrono::duration<double>(options.attr_timeout)));
  FuseFs fs{client->get(), &options, &metrics, &no_caps, &groups};
  std::vector<std::string> arg_strings = FuseSessionArgs(options);
  std::vector<char*> arg_ptrs;
  for (std::string& a : arg_strings) arg_ptrs.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());
  fuse_session* se = fuse_session_new(&args, WeftFuseOps(), sizeof(fuse_lowlevel_ops), &fs);
  fuse_opt_free_args(&args);  // what libfuse added to them (it copies what it keeps)
  if (se == nullptr) {
    std::string error = "libfuse refused the session options (see the message above)";
    notifier.Send(error);
    (*client)->Unmount();
    return kExitMountFailed;
  }
  fs.session = se;
  // Names another client removed: dropped from the kernel's cache by a thread of their own.
  EntryInvalidator invalidator(MetricsRegistry::Global());
  (*client)->SetNamesRemovedHandler(
      [&invalidator](uint64_t parent, const std::string& name) { invalidator.Push(parent, name); });
  // libfuse installs its SIGTERM/SIGINT/SIGHUP handlers (unmount and exit) only over the
  // default action, and a library libfabric loads (PSM's libinfinipath) puts its own handlers
  // there when it is loaded, which exit(1) and leave the mount behind: restore the defaults.
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) std::signal(sig, SIG_DFL);
  if (fuse_set_signal_handlers(se) != 0) {
    notifier.Send("cannot install the signal handlers");
    fuse_session_destroy(se);
    (*client)->Unmount();
    return kExitMountFailed;
  }
  if (fuse_session_mount(se, options.mountpoint.c_str()) != 0) {
    std::string error = "cannot mount FUSE at " + options.mountpoint +
                        " (is /dev/fuse there, and are you root or is fusermount3 installed?)";
    spdlog::error("{}", error);
    notifier.Send(error);
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    (*client)->Unmount();
    return kExitMountFailed;
  }
  spdlog::info("{}: {} mounted at {} ({} worker threads at most)", program, options.source,
               options.mountpoint, options.threads);
  notifier.Send("");
  if (!options.foreground) Detach(program, options.log_level);
  invalidator.Start(se);

  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_clone_fd(cfg, 1);
  fuse_loop_cfg_set_max_threads(cfg, static_cast<unsigned>(options.threads));
  fuse_loop_cfg_set_idle_threads(cfg, static_cast<unsigned>(options.threads));
  int rc = fuse_session_loop_mt(se, cfg);
  fuse_loop_cfg_destroy(cfg);
  fs.async.WaitIdle();  // their replies go through the session
  (*client)->SetNamesRemovedHandler(nullptr);
  invalidator.Stop();

  fuse_session_unmount(se);
  invalidator.Join();  // after the unmount, which ends a notification the kernel holds up
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  // Files the kernel had not released yet (a SIGTERM right after a close(2)).
  for (std::unique_ptr<OpenFile>& of : fs.open_files.TakeAll()) (void)(*client)->Close(of->file);
  (*client)->Unmount();
  spdlog::info("{}: {} unmounted from {}", program, options.source, options.mountpoint);
  return rc < 0 ? kExitMountFailed : 0;
}

}  // namespace weft::fuse
