// NameLeases: the MDS's name leases (docs/mds.md, "Name leases"), the callbacks that let a
// mount cache names for longer than its entry_timeout.
//
// A client that asks is granted a lease on a directory before the MDS reads what it answers
// there (Grant). While the lease lasts, every name of that directory removed or replaced by
// another client (unlink, rmdir, rename) is sent to the holder as a NamesRemoved notification
// (NoteRemoved), so the holder drops what it cached of that name. The changer is not told: its
// own kernel made the change. Grants and notes both run on the server's loop, and a change is
// noted after it is applied, so a removal is either applied before a grant (and what the reader
// after the grant reads shows it) or noted after it (and the holder is told): none falls
// between.
//
// Notifications are one way and not resent: a lost one (a client unreachable for a moment)
// leaves a name cached until the lease runs out, at most `term` after its grant. Holders are
// kept per directory in a short vector (few clients look in one directory at once) and dropped
// when they run out, at a sweep every so many grants.
//
// A restart forgets every lease, so the clients are also kept in the MDT (Mdt::
// RecordLeaseClient, before a client's first lease of a run: Recorded/MarkRecorded). A restarted
// MDS reads them (StartGrace) and, for one term, sends every removal to each of them as well,
// whatever directory it is in: a client drops what it has not cached at no cost. After the
// term (EndGrace) the clients that did not come back are forgotten.
//
// Threading: loop-thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/event_loop.h"
#include "common/metrics.h"
#include "common/status.h"
#include "mds.pb.h"

namespace weft::mds {

class NameLeases {
 public:
  // Sends `body` (an encoded NamesRemoved) to client `client_id` at `address`.
  using Sender =
      std::function<Status(std::string_view address, uint64_t client_id, const std::string& body)>;

  struct Options {
    // How long a grant lasts; zero: no leases (Grant grants none).
    Clock::duration term = std::chrono::seconds(30);
    MetricsRegistry* metrics = nullptr;  // nullptr: MetricsRegistry::Global()
  };

  explicit NameLeases(Options options);

  // Where notifications go (the RPC server, once it is up). Until set, notes are counted as
  // failed sends.
  void SetSender(Sender sender) { send_ = std::move(sender); }
  bool enabled() const { return options_.term.count() > 0; }

  // Grants client `client_id` (reached at `address`) a lease on directory `dir`, or extends the
  // one it holds. Returns the grant (ms 0 when leases are off).
  Lease Grant(uint64_t dir, uint64_t client_id, std::string_view address);

  // Names removed or replaced by client `changer`: (directory, name) pairs. Tells every other
  // client holding a live lease on one of the directories, one message per client.
  void NoteRemoved(const std::vector<std::pair<uint64_t, std::string>>& names, uint64_t changer);

  // Whether client `client_id` is recorded in the MDT in this run; its first lease waits for it.
  bool Recorded(uint64_t client_id) const { return recorded_.count(client_id) != 0; }
  void MarkRecorded(uint64_t client_id) { recorded_.insert(client_id); }

  // After a restart: the clients the MDT recorded before, which may hold leases until `until`.
  void StartGrace(std::vector<std::pair<uint64_t, std::string>> clients, Clock::time_point until);
  // Ends the grace: the clients from before that have not been recorded again (to forget).
  std::vector<uint64_t> EndGrace();
  size_t grace_clients() const { return grace_.size(); }

  // Directories with a lease, and leases, now (expired ones may still count until a sweep).
  size_t directories() const { return dirs_.size(); }
  size_t holders() const { return holders_; }

 private:
  struct Holder {
    uint64_t client_id;
    Clock::time_point until;
  };
  void Sweep(Clock::time_point now);

  Options options_;
  Sender send_;
  uint64_t seq_ = 0;  // grants and notes, in the order the loop ran them
  std::unordered_map<uint64_t, std::vector<Holder>> dirs_;
  std::unordered_map<uint64_t, std::string> addresses_;  // client -> its latest address
  std::unordered_set<uint64_t> recorded_;                // in the MDT, in this run
  std::unordered_map<uint64_t, std::string> grace_;      // clients from before a restart
  Clock::time_point grace_until_{};
  size_t holders_ = 0;
  size_t grants_since_sweep_ = 0;
  uint64_t failures_ = 0;  // notifications that could not be sent, for the log's pacing
  Counter* grants_ = nullptr;
  Counter* names_sent_ = nullptr;
  Counter* messages_ = nullptr;
  Counter* send_failures_ = nullptr;
  Gauge* holders_metric_ = nullptr;
};

}  // namespace weft::mds
