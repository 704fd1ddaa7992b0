// Running the built binaries (weft-mgs, weftctl) from tests: start, signal, wait with a time
// limit, read what they printed. Also a free TCP port on loopback to serve on.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/loopback_port.h"

extern char** environ;

namespace weft::test {

// Where the build put a binary, e.g. BinaryPath("src/mgs/weft-mgs").
inline std::string BinaryPath(const std::string& relative) {
  return std::string(WEFT_BINARY_DIR) + "/" + relative;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A loopback port for a daemon the test starts (see testing/loopback_port.h).
inline uint16_t FreePort() { return ReserveLoopbackPort(); }

// A child process whose stdout and stderr go to files. Killed with SIGKILL if still running
// when destroyed.
class Subprocess {
 public:
  // Starts `argv[0]` with `argv`; output goes to `out_prefix`.out and `out_prefix`.err.
  Subprocess(const std::vector<std::string>& argv, const std::string& out_prefix)
      : out_path_(out_prefix + ".out"), err_path_(out_prefix + ".err") {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Subprocess() {
    if (running()) {
      Signal(SIGKILL);
      Wait(std::chrono::seconds(10));
    }
  }
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool started() const { return pid_ > 0; }
  bool running() const { return pid_ > 0 && !status_; }
  void Signal(int sig) const {
    if (pid_ > 0) kill(pid_, sig);
  }

  // The exit code (128 + signal for a signal), or nullopt if still running after `limit`.
  std::optional<int> Wait(std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (running()) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() >= end) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status_;
  }

  // Waits until stderr contains `text`; false after `limit` or if the process ended first.
  bool WaitForStderr(const std::string& text, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (err().find(text) != std::string::npos) return true;
      if (Wait(std::chrono::milliseconds(0))) return err().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::string out() const { return ReadFile(out_path_); }
  std::string err() const { return ReadFile(err_path_); }

 private:
  std::string out_path_, err_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Runs a command to completion (at most `limit`); its exit code, stdout and stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};
inline CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& out_prefix,
                                std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  Subprocess p(argv, out_prefix);
  CommandResult r;
  r.exit_code = p.Wait(limit).value_or(-1);
  r.out = p.out();
  r.err = p.err();
  return r;
}

}  // namespace weft::test
