// The label of a formatted target: which file system, which target, which MGS.
//
// `weftctl mkfs` writes it as TARGET_DIR/weft-label (TOML); weft-mds and weft-oss read it at
// start and refuse a directory without one, or one of another file system:
//
//   fsname = "weft"
//   type = "OST"          # or "MDT"
//   index = 3
//   uuid = "0b6f9f0e-..."
//   mgs = "127.0.0.1:9880@tcp"
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace weft {

struct TargetLabel {
  std::string fsname;
  std::string type;  // "MDT" or "OST"
  uint32_t index = 0;
  std::string uuid;
  std::string mgs;  // the MGS NID(s) the target registers with

  // "weft-OST0003"
  std::string Name() const;
};

constexpr const char* kLabelFile = "weft-label";

// A random RFC 4122 version 4 uuid.
std::string NewUuid();
// Checks fsname (1 to 8 of a-z, 0-9, _), type, index (at most 0xFFFF), uuid and MGS NID.
Status ValidateLabel(const TargetLabel& label);
// Writes DIR/weft-label (creating DIR), durably (write to a temp file, fsync, rename). Refuses
// a directory that already has a label unless `overwrite`.
Status WriteTargetLabel(const std::string& dir, const TargetLabel& label, bool overwrite);
// Reads and validates DIR/weft-label; the error says the directory is not a formatted target
// and how to format one.
Result<TargetLabel> ReadTargetLabel(const std::string& dir);

}  // namespace weft
