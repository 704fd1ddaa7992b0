// Striping math of RAID-0 layouts (ARCHITECTURE.md, "Layouts and striping"): which object and
// object offset hold a byte of a file, and how a file range splits into per-object pieces.
//
// With stripe size S and stripe count C, file offset o lives in stripe (o / S) % C at object
// offset (o / (S*C)) * S + o % S. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace weft::client {

// One contiguous piece of a file range inside one stripe object.
struct StripePiece {
  uint32_t stripe = 0;       // position in the layout's object list
  uint64_t object_offset = 0;
  uint64_t length = 0;
  uint64_t buffer_offset = 0;  // where the piece starts in the caller's buffer
};

struct StripeGeometry {
  uint64_t stripe_size = 0;   // S, > 0
  uint32_t stripe_count = 0;  // C, > 0
};

// The pieces of [offset, offset + length), in file order, each in one object and at most
// `max_piece` (> 0) bytes. With C > 1 a piece never crosses a stripe unit (the next unit of the
// same object is not next in the caller's buffer); with C = 1 the units are contiguous and the
// pieces are max_piece long (the first and last may be shorter).
std::vector<StripePiece> SplitRange(const StripeGeometry& g, uint64_t offset, uint64_t length,
                                    uint64_t max_piece);

// The size object `stripe` has when the file is `file_size` bytes long and fully written. Also:
// the object offset of the first byte of the object at or after file offset `file_size`.
uint64_t ObjectSizeForFileSize(const StripeGeometry& g, uint32_t stripe, uint64_t file_size);

// The file offset of byte `object_offset` of object `stripe` (the inverse of the mapping above).
uint64_t FileOffsetOf(const StripeGeometry& g, uint32_t stripe, uint64_t object_offset);

}  // namespace weft::client
