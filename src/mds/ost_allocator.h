// OstAllocator: picks the OSTs that hold a new file's objects.
//
// Threading: Choose and Update may be called from any thread concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/status.h"

namespace weft::mds {

class OstAllocator {
 public:
  virtual ~OstAllocator() = default;
  // Distinct OST indices for a file of `stripe_count` stripes (-1: all active OSTs). Asking for
  // more than are active gets as many as there are; none active is kNoSpace. `start_ost` >= 0
  // puts the first stripe there (or, if it is not active, on the next active OST in index
  // order) and the rest on the active OSTs that follow; -1 lets the allocator choose.
  virtual Result<std::vector<uint32_t>> Choose(int32_t stripe_count, int32_t start_ost = -1) = 0;
  // Whether `index` is an OST of the file system (active or not), as far as the allocator knows.
  virtual bool Knows(uint32_t index) = 0;
};

struct OstState {
  uint32_t index = 0;
  bool active = false;
  uint64_t bytes_free = 0;
};

// Round robin over the active OSTs, weighted by free space: over many files each OST gets a
// share of first stripes proportional to its free bytes (smooth weighted round robin), and a
// file's further stripes go to the OSTs that follow in index order, as Lustre's allocator
// places consecutive stripes. With equal free space this is plain round robin.
class RoundRobinOstAllocator : public OstAllocator {
 public:
  // Replaces the known OSTs (e.g. after the MGS configuration or statfs changed).
  void Update(std::vector<OstState> osts);
  // Until the first Update, Choose waits up to `wait` for it instead of answering kNoSpace:
  // a restarted MDS serves before its first configuration from the MGS arrives, and a create
  // in that window must not fail (the test bed's MDS-kill test saw ENOSPC there). Zero (the
  // default) does not wait. Choose runs on the MDS's pool threads, which may block.
  void WaitForFirstUpdate(std::chrono::milliseconds wait) { first_update_wait_ = wait; }
  Result<std::vector<uint32_t>> Choose(int32_t stripe_count, int32_t start_ost = -1) override;
  bool Knows(uint32_t index) override;

 private:
  struct Slot {
    uint32_t index;
    int64_t weight;
    int64_t current;
  };
  size_t PickStart();  // REQUIRES: mu_ held, slots_ not empty

  std::mutex mu_;
  std::condition_variable updated_;
  bool updated_once_ = false;  // guarded by mu_
  std::chrono::milliseconds first_update_wait_{0};
  std::vector<Slot> slots_;  // active OSTs in index order; guarded by mu_
  std::vector<uint32_t> known_;  // every OST, active or not, in index order; guarded by mu_
};

}  // namespace weft::mds
