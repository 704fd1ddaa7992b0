#include "testing/loopback_port.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace weft {
namespace {

constexpr uint16_t kLowest = 10000;
constexpr const char* kLockDir = "/tmp/weft-ports";

// The first port of the kernel's ephemeral range.
uint16_t EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 32768, high = 60999;
  in >> low >> high;
  return static_cast<uint16_t>(low);
}

// True if nothing holds `port` on 127.0.0.1 now (bound the way the daemons bind: SO_REUSEADDR).
bool Bindable(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// The kernel's choice, for a machine whose ephemeral range leaves no room below it.
uint16_t KernelChoice() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

uint16_t ReserveLoopbackPort() {
  static std::mutex mu;
  static std::vector<int> held;  // lock files, open until the process exits
  std::lock_guard lock(mu);

  uint16_t high = EphemeralLow();
  if (high <= kLowest + 1000) return KernelChoice();
  mkdir(kLockDir, 01777);
  chmod(kLockDir, 01777);
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<unsigned> pick(kLowest, high - 1u);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto port = static_cast<uint16_t>(pick(rng));
    std::string path = std::string(kLockDir) + "/" + std::to_string(port);
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || !Bindable(port)) {
      close(fd);
      continue;
    }
    held.push_back(fd);
    return port;
  }
  return KernelChoice();
}

}  // namespace weft
