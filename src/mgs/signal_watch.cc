#include "mgs/signal_watch.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <utility>

namespace weft::mgs {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

Status BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  int err = pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return err == 0 ? Status::Ok() : ErrnoStatus("pthread_sigmask", err);
}

Result<std::unique_ptr<SignalWatch>> SignalWatch::Open(EventLoop& loop) {
  sigset_t set = ShutdownSignals();
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return ErrnoStatus("signalfd", errno);
  std::unique_ptr<SignalWatch> watch(new SignalWatch(loop, fd));
  loop.AddPoller(watch.get());
  return watch;
}

SignalWatch::~SignalWatch() {
  loop_.RemovePoller(this);
  close(fd_);
}

int SignalWatch::Poll() {
  Clock::time_point now = Clock::now();
  if (now < next_read_) return 0;
  next_read_ = now + kReadInterval;
  signalfd_siginfo info;
  int handled = 0;
  while (read(fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
    ++handled;
    if (signal_ == 0) signal_ = static_cast<int>(info.ssi_signo);
  }
  // Resumed from the ready queue, not from inside Poll: the waiter may destroy this poller.
  if (signal_ != 0 && waiter_) loop_.Resume(std::exchange(waiter_, {}));
  return handled;
}

}  // namespace weft::mgs
