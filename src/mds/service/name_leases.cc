#include "mds/service/name_leases.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "common/log.h"

namespace weft::mds {
namespace {

// Names per notification: far below the 64 KiB body limit for names of up to 255 bytes.
constexpr size_t kMaxNamesPerMessage = 200;

}  // namespace

NameLeases::NameLeases(Options options) : options_(options) {
  MetricsRegistry& m = options_.metrics ? *options_.metrics : MetricsRegistry::Global();
  grants_ = &m.Counter("weft_mds_name_lease_grants_total",
                       "Name leases granted or extended (docs/mds.md, \"Name leases\")")
                 .With({});
  names_sent_ = &m.Counter("weft_mds_name_lease_removals_sent_total",
                           "Removed or replaced names sent to clients holding a name lease")
                     .With({});
  messages_ = &m.Counter("weft_mds_name_lease_notifications_total",
                         "NamesRemoved notifications sent to clients")
                   .With({});
  send_failures_ = &m.Counter("weft_mds_name_lease_notify_failures_total",
                              "NamesRemoved notifications that could not be sent")
                        .With({});
  holders_metric_ = &m.Gauge("weft_mds_name_leases",
                             "Name leases held (directory and client), as of the last grant")
                         .With({});
}

Lease NameLeases::Grant(uint64_t dir, uint64_t client_id, std::string_view address) {
  Lease lease;
  if (!enabled()) return lease;
  Clock::time_point now = Clock::now();
  if (++grants_since_sweep_ >= std::max<size_t>(1024, dirs_.size())) Sweep(now);
  Clock::time_point until = now + options_.term;
  std::vector<Holder>& holders = dirs_[dir];
  auto it = std::find_if(holders.begin(), holders.end(),
                         [client_id](const Holder& h) { return h.client_id == client_id; });
  if (it == holders.end()) {
    holders.push_back(Holder{client_id, until});
    ++holders_;
  } else {
    it->until = until;
  }
  std::string& known = addresses_[client_id];
  if (known != address) known.assign(address);
  grants_->Increment();
  holders_metric_->Set(static_cast<double>(holders_));
  lease.set_seq(++seq_);
  lease.set_ms(static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.term).count()));
  return lease;
}

void NameLeases::StartGrace(std::vector<std::pair<uint64_t, std::string>> clients,
                            Clock::time_point until) {
  for (auto& [client, address] : clients) grace_[client] = std::move(address);
  grace_until_ = until;
}

std::vector<uint64_t> NameLeases::EndGrace() {
  std::vector<uint64_t> gone;
  for (const auto& [client, address] : grace_) {
    if (!Recorded(client)) gone.push_back(client);
  }
  grace_.clear();
  return gone;
}

void NameLeases::NoteRemoved(const std::vector<std::pair<uint64_t, std::string>>& names,
                             uint64_t changer) {
  Clock::time_point now = Clock::now();
  bool grace = !grace_.empty() && now < grace_until_;
  if (dirs_.empty() && !grace) return;
  std::map<uint64_t, NamesRemoved> out;  // by client
  for (const auto& [dir, name] : names) {
    auto d = dirs_.find(dir);
    if (d == dirs_.end()) continue;
    for (const Holder& h : d->second) {
      if (h.client_id == changer || h.until <= now) continue;
      RemovedName* r = out[h.client_id].add_names();
      r->set_parent(dir);
      r->set_name(name);
    }
  }
  // After a restart, the clients from before may hold leases on any directory.
  if (grace) {
    for (const auto& [client, address] : grace_) {
      if (client == changer) continue;
      NamesRemoved& all = out[client];
      all.clear_names();
      for (const auto& [dir, name] : names) {
        RemovedName* r = all.add_names();
        r->set_parent(dir);
        r->set_name(name);
      }
      if (addresses_.count(client) == 0) addresses_[client] = address;
    }
  }
  if (out.empty()) return;
  uint64_t seq = ++seq_;
  for (auto& [client, all] : out) {
    auto a = addresses_.find(client);
    if (a == addresses_.end()) continue;
    // Most often one message; a rename's two names go together.
    for (int start = 0; start < all.names_size(); start += kMaxNamesPerMessage) {
      NamesRemoved msg;
      msg.set_seq(seq);
      int end = std::min<int>(all.names_size(), start + kMaxNamesPerMessage);
      for (int i = start; i < end; ++i) *msg.add_names() = all.names(i);
      Status st = send_ ? send_(a->second, client, msg.SerializeAsString())
                        : Status(StatusCode::kUnavailable, "no sender yet");
      if (!st.ok()) {
        send_failures_->Increment();
        // Paced: a client that is gone fails every one.
        if (ShouldLog(++failures_)) {
          spdlog::warn(
              "mds: telling client {:#x} of {} removed names failed: {}; it may see them "
              "until its lease runs out ({} such failures so far)",
              client, end - start, st.ToString(), failures_);
        }
        continue;
      }
      messages_->Increment();
      names_sent_->Increment(static_cast<uint64_t>(end - start));
    }
  }
}

void NameLeases::Sweep(Clock::time_point now) {
  grants_since_sweep_ = 0;
  std::unordered_map<uint64_t, bool> live;
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    std::vector<Holder>& holders = it->second;
    size_t before = holders.size();
    holders.erase(std::remove_if(holders.begin(), holders.end(),
                                 [now](const Holder& h) { return h.until <= now; }),
                  holders.end());
    holders_ -= before - holders.size();
    for (const Holder& h : holders) live[h.client_id] = true;
    it = holders.empty() ? dirs_.erase(it) : std::next(it);
  }
  for (auto it = addresses_.begin(); it != addresses_.end();) {
    it = live.count(it->first) ? std::next(it) : addresses_.erase(it);
  }
  holders_metric_->Set(static_cast<double>(holders_));
}

}  // namespace weft::mds
