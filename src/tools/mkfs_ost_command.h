// `weftctl mkfs --ost`: formats an object storage target (docs/oss.md).
#pragma once

#include <cstdint>
#include <string>

namespace weft::tools {

// Formats PATH as OST `index` of `fsname` registered with the MGS at `mgs`: writes its label
// and creates its objects directory. Refuses a directory that already holds a target unless
// `reformat` (which erases its objects). Prints the outcome; returns the exit code: 0, 1
// (formatting failed) or 2 (usage).
int RunMkfsOst(const std::string& fsname, uint32_t index, const std::string& mgs,
               const std::string& path, bool reformat);

}  // namespace weft::tools
