#include "client/fuse/entry_invalidator.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "client/fuse/fuse_api.h"

namespace weft::fuse {

EntryInvalidator::EntryInvalidator(MetricsRegistry& metrics)
    : invalidated_(&metrics
                        .Counter("weft_fuse_name_invalidations_total",
                                 "Kernel name entries dropped because the MDS said another "
                                 "client removed or replaced the name (name leases)")
                        .With({})),
      dropped_(&metrics
                    .Counter("weft_fuse_name_invalidations_dropped_total",
                             "Removed names not passed to the kernel: too many queued")
                    .With({})) {}

EntryInvalidator::~EntryInvalidator() {
  Stop();
  Join();
}

void EntryInvalidator::Start(fuse_session* se) {
  se_ = se;
  thread_ = std::thread([this] { Run(); });
}

void EntryInvalidator::Push(uint64_t parent, std::string name) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (queue_.size() >= kMaxQueued) {
      dropped_->Increment();
      return;
    }
    queue_.emplace_back(parent, std::move(name));
  }
  wake_.notify_one();
}

void EntryInvalidator::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_one();
}

void EntryInvalidator::Join() {
  if (thread_.joinable()) thread_.join();
}

void EntryInvalidator::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    auto [parent, name] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    int rc = fuse_lowlevel_notify_inval_entry(se_, parent, name.data(), name.size());
    // -ENOENT: the kernel knows neither the directory nor the name; nothing to drop.
    if (rc == 0) {
      invalidated_->Increment();
    } else if (rc != -ENOENT && rc != -ENOTCONN) {
      spdlog::warn("weft-fuse: dropping the kernel's entry of '{}' in directory {} failed: {}",
                   name, parent, std::strerror(-rc));
    }
    lock.lock();
  }
}

}  // namespace weft::fuse
