#include "tools/status_table.h"

#include <algorithm>
#include <array>
#include <vector>

#include "mgs/mgs_service.h"

namespace weft::tools {
namespace {

using Row = std::array<std::string, 5>;

std::string Pad(const std::string& s, size_t width) {
  return s + std::string(width > s.size() ? width - s.size() : 0, ' ');
}

std::string FormatRows(const std::vector<Row>& rows) {
  std::array<size_t, 5> width{};
  for (const Row& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const Row& row : rows) {
    for (size_t i = 0; i + 1 < row.size(); ++i) out += Pad(row[i], width[i] + 2);
    out += row.back() + "\n";
  }
  return out;
}

}  // namespace

std::string FormatAge(int64_t now_ms, int64_t then_ms) {
  if (then_ms <= 0) return "never";
  int64_t s = std::max<int64_t>(0, now_ms - then_ms) / 1000;
  auto ago = [](int64_t big, const char* big_unit, int64_t small, const char* small_unit) {
    return std::to_string(big) + big_unit + " " + std::to_string(small) + small_unit + " ago";
  };
  if (s < 60) return std::to_string(s) + "s ago";
  if (s < 3600) return ago(s / 60, "m", s % 60, "s");
  if (s < 86400) return ago(s / 3600, "h", s % 3600 / 60, "m");
  return ago(s / 86400, "d", s % 86400 / 3600, "h");
}

std::string FormatStatus(const mgs::GetConfigReply& config, const std::string& mgs_nid,
                         int64_t now_ms) {
  size_t down = std::count_if(config.targets().begin(), config.targets().end(),
                              [](const mgs::TargetInfo& t) { return t.state() != mgs::UP; });
  std::string out = "fsname " + config.fsname() + ", generation " +
                    std::to_string(config.generation()) + ", " +
                    std::to_string(config.targets_size()) + " targets (" + std::to_string(down) +
                    " down), MGS " + mgs_nid + "\n";
  if (config.targets_size() == 0) return out + "no targets registered\n";
  std::vector<Row> rows = {{"NAME", "TYPE", "NID", "STATE", "LAST SEEN"}};
  for (const mgs::TargetInfo& t : config.targets()) {
    rows.push_back({t.name(), std::string(mgs::TargetTypeName(t.type())), t.nid(),
                    std::string(mgs::TargetStateName(t.state())),
                    FormatAge(now_ms, t.last_seen_unix_ms())});
  }
  return out + FormatRows(rows);
}

}  // namespace weft::tools
