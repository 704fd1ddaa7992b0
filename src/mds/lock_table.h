// LockTable: striped mutexes keyed by inode number, and a guard that holds several of them.
//
// Deadlock freedom rests on one rule: a thread takes all the stripes it needs from one table
// in a single MultiLock (which locks them in stripe order), and takes the directory table's
// before the inode table's, never the other way round.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <vector>

namespace weft::mds {

class LockTable {
 public:
  static constexpr uint32_t kStripes = 1024;

  static uint32_t StripeOf(uint64_t ino) {
    return static_cast<uint32_t>((ino * 0x9e3779b97f4a7c15ULL) >> 54);  // top 10 bits
  }
  std::mutex& stripe(uint32_t index) { return stripes_[index]; }

 private:
  std::array<std::mutex, kStripes> stripes_;
};

// Holds the stripes of the given inodes (0 entries are ignored) until destroyed.
class MultiLock {
 public:
  MultiLock(LockTable& table, std::initializer_list<uint64_t> inos) : table_(table) {
    for (uint64_t ino : inos) {
      if (ino != 0) stripes_.push_back(LockTable::StripeOf(ino));
    }
    std::sort(stripes_.begin(), stripes_.end());
    stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
    for (uint32_t s : stripes_) table_.stripe(s).lock();
  }
  ~MultiLock() {
    for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) table_.stripe(*it).unlock();
  }
  MultiLock(const MultiLock&) = delete;
  MultiLock& operator=(const MultiLock&) = delete;

 private:
  LockTable& table_;
  std::vector<uint32_t> stripes_;
};

}  // namespace weft::mds
