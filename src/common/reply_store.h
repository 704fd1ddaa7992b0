// Reply records: how a server answers a resent state-changing call from its record instead of
// running it twice (Lustre's reply reconstruction).
//
// Before the server runs a method declared mutating, it looks up (client id, request id) in
// its ReplyStore; a hit is answered from the record. After the handler returns, the engine
// records the reply, unless the handler recorded it itself in the same durable write as its
// change (ServerCall::MarkReplyRecorded), as the metadata server does with RocksDB.
//
// Threading: called on the server's loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace weft::rpc {

struct RecordedReply {
  int32_t status = 0;  // a StatusCode
  std::string body;    // the reply body (or the error message for a failed call)
};

class ReplyStore {
 public:
  virtual ~ReplyStore() = default;
  virtual std::optional<RecordedReply> Lookup(uint64_t client_id, uint64_t request_id) = 0;
  virtual void Record(uint64_t client_id, uint64_t request_id, RecordedReply reply) = 0;
};

// Keeps the newest `capacity` records in memory: enough for a client's resends after a lost
// reply, not across a server restart (a persistent store is the metadata server's).
class MemoryReplyStore : public ReplyStore {
 public:
  explicit MemoryReplyStore(size_t capacity = 65536) : capacity_(capacity) {}
  std::optional<RecordedReply> Lookup(uint64_t client_id, uint64_t request_id) override {
    auto it = records_.find({client_id, request_id});
    if (it == records_.end()) return std::nullopt;
    return it->second;
  }
  void Record(uint64_t client_id, uint64_t request_id, RecordedReply reply) override {
    std::pair<uint64_t, uint64_t> key{client_id, request_id};
    if (!records_.insert_or_assign(key, std::move(reply)).second) return;
    order_.push_back(key);
    if (order_.size() > capacity_) {
      records_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  size_t capacity_;
  std::map<std::pair<uint64_t, uint64_t>, RecordedReply> records_;
  std::deque<std::pair<uint64_t, uint64_t>> order_;
};

}  // namespace weft::rpc
