// The "weft.layout" extended attribute: a file's or directory's layout as text, the interface
// of `weft getstripe` / `weft setstripe` on a mounted path (as lustre.lov is for lfs).
//
// Read (getfattr -n weft.layout FILE):
//   stripe_size=1048576 stripe_count=4 objects=0:4097,1:4097,2:4097,3:4097
// a directory's default adds "start_ost=I" if it names the first OST, and "inherited=1" when
// it has none of its own (the one shown is what its children get); it has no objects.
// Written (setfattr -n weft.layout -v '...'): any of
//   stripe_size=BYTES stripe_count=N start_ost=I
// separated by spaces or commas; an omitted key keeps the inherited value (stripe_count -1:
// all OSTs; start_ost -1: the MDS chooses).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "mds.pb.h"

namespace weft::client {

inline constexpr char kLayoutXattr[] = "weft.layout";

struct LayoutRequest {
  uint64_t stripe_size = 0;   // 0: keep
  int32_t stripe_count = 0;   // 0: keep; -1: all
  std::optional<int32_t> start_ost;  // absent: keep; -1: the MDS chooses
};

// kInvalidArgument naming the bad key or value.
Result<LayoutRequest> ParseLayoutXattr(std::string_view text);
std::string FormatLayoutXattr(const mds::LayoutReply& reply);
// The reverse of FormatLayoutXattr, for the weft tool: kInvalidArgument if `text` is not one.
Result<mds::LayoutReply> ParseLayoutXattrValue(std::string_view text);

}  // namespace weft::client
