#include "client/striping.h"

#include <algorithm>

namespace weft::client {
namespace {

// True if bytes at (stripe, object_offset), buffer_offset continue `last` both in the object
// and in the caller's buffer.
bool Continues(const StripePiece& last, uint32_t stripe, uint64_t object_offset,
               uint64_t buffer_offset) {
  return last.stripe == stripe && last.object_offset + last.length == object_offset &&
         last.buffer_offset + last.length == buffer_offset;
}

}  // namespace

std::vector<StripePiece> SplitRange(const StripeGeometry& g, uint64_t offset, uint64_t length,
                                    uint64_t max_piece) {
  std::vector<StripePiece> pieces;
  const uint64_t s = g.stripe_size;
  const uint64_t row = s * g.stripe_count;
  uint64_t done = 0;
  while (done < length) {
    uint64_t o = offset + done;
    uint32_t stripe = static_cast<uint32_t>((o / s) % g.stripe_count);
    uint64_t object_offset = (o / row) * s + o % s;
    uint64_t n = std::min({length - done, s - o % s, max_piece});
    if (!pieces.empty() && Continues(pieces.back(), stripe, object_offset, done) &&
        pieces.back().length < max_piece) {
      n = std::min(n, max_piece - pieces.back().length);
      pieces.back().length += n;
    } else {
      pieces.push_back(StripePiece{stripe, object_offset, n, done});
    }
    done += n;
  }
  return pieces;
}

uint64_t ObjectSizeForFileSize(const StripeGeometry& g, uint32_t stripe, uint64_t file_size) {
  const uint64_t s = g.stripe_size;
  const uint64_t row = s * g.stripe_count;
  uint64_t full_rows = file_size / row;
  uint64_t rest = file_size % row;
  uint64_t start = uint64_t{stripe} * s;
  uint64_t in_last = rest > start ? std::min(rest - start, s) : 0;
  return full_rows * s + in_last;
}

uint64_t FileOffsetOf(const StripeGeometry& g, uint32_t stripe, uint64_t object_offset) {
  const uint64_t s = g.stripe_size;
  return (object_offset / s) * s * g.stripe_count + uint64_t{stripe} * s + object_offset % s;
}

}  // namespace weft::client
