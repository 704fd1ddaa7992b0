#include "common/rpc_wire.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <climits>

namespace weft::rpc {

const char* RejectName(Reject r) {
  switch (r) {
    case Reject::kNone: return "none";
    case Reject::kTruncated: return "truncated";
    case Reject::kBadMagic: return "bad_magic";
    case Reject::kBadVersion: return "bad_version";
    case Reject::kBadFlags: return "bad_flags";
    case Reject::kBadLengths: return "bad_lengths";
    case Reject::kOversized: return "oversized";
    case Reject::kUnknownService: return "unknown_service";
    case Reject::kUnknownMethod: return "unknown_method";
    case Reject::kBadBody: return "bad_body";
    case Reject::kCount: break;
  }
  return "unknown";
}

uint32_t Crc32c(const void* data, size_t len) {
  // ISA-L's crc32_iscsi takes an int length and neither inverts the seed nor the result.
  auto* p = static_cast<unsigned char*>(const_cast<void*>(data));
  unsigned int crc = 0xffffffffu;
  while (len > 0) {
    size_t n = std::min<size_t>(len, INT_MAX & ~size_t{4095});
    crc = crc32_iscsi(p, static_cast<int>(n), crc);
    p += n;
    len -= n;
  }
  return ~crc;
}

std::string PieceCrcs(std::span<const char> payload) {
  std::string out(BulkCrcPieces(payload.size()) * sizeof(uint32_t), '\0');
  for (size_t i = 0; i * kBulkCrcPiece < payload.size(); ++i) {
    size_t n = std::min(kBulkCrcPiece, payload.size() - i * kBulkCrcPiece);
    uint32_t crc = Crc32c(payload.data() + i * kBulkCrcPiece, n);
    std::memcpy(out.data() + i * sizeof(uint32_t), &crc, sizeof(crc));  // little endian hosts
  }
  return out;
}

uint32_t PieceCrcAt(std::string_view crcs, size_t i) {
  uint32_t crc;
  std::memcpy(&crc, crcs.data() + i * sizeof(uint32_t), sizeof(crc));
  return crc;
}

bool SplitBundle(const char* data, size_t len, std::vector<std::string_view>* out) {
  out->clear();
  Header h;
  if (len < sizeof(Header)) return false;
  std::memcpy(&h, data, sizeof(Header));
  if (h.magic != kMagic || h.version != kVersion || h.flags != kFlagBundle) return false;
  if (h.payload_len != len - sizeof(Header)) return false;
  for (size_t off = sizeof(Header); off < len;) {
    uint32_t n;
    if (len - off < kBundleEntryHeader) break;
    std::memcpy(&n, data + off, sizeof(n));
    if (n == 0 || BundleEntrySize(n) > len - off) break;
    out->emplace_back(data + off + kBundleEntryHeader, n);
    off += BundleEntrySize(n);
    if (off == len) return true;
  }
  out->clear();
  return false;
}

Reject ParseMessage(const void* data, size_t len, MessageView* view) {
  if (len < sizeof(Header)) return Reject::kTruncated;
  Header& h = view->header;
  std::memcpy(&h, data, sizeof(Header));
  if (h.magic != kMagic) return Reject::kBadMagic;
  if (h.version != kVersion) return Reject::kBadVersion;
  if ((h.flags & ~kFlagKnownFlags) != 0) return Reject::kBadFlags;
  if ((h.flags & kFlagBulkIn) && (h.flags & kFlagBulkOut)) return Reject::kBadFlags;
  if (h.addr_len > kMaxAddressLen || h.body_len > kMaxBodyLen) return Reject::kBadLengths;
  if (h.payload_pad >= kPayloadAlign) return Reject::kBadLengths;
  if ((h.flags & kFlagReply) && h.addr_len != 0) return Reject::kBadLengths;
  if ((h.flags & kFlagNotify) &&
      (!(h.flags & kFlagReply) || (h.flags & (kFlagBulkIn | kFlagBulkOut | kFlagCrc)))) {
    return Reject::kBadFlags;
  }
  if ((h.flags & kFlagNotify) && h.payload_len != 0) return Reject::kBadLengths;
  // 64-bit sum: the three 32-bit lengths cannot overflow it.
  uint64_t want =
      uint64_t{sizeof(Header)} + h.addr_len + h.body_len + h.payload_pad + h.payload_len;
  if (want > len) return Reject::kTruncated;
  if (want < len) return Reject::kBadLengths;
  // A bulk request's inline payload is its list of piece crcs, and only with kFlagCrc.
  if (!(h.flags & kFlagReply) && (h.flags & kFlagBulkIn)) {
    uint64_t crcs = (h.flags & kFlagCrc) ? BulkCrcPieces(h.bulk_len) * sizeof(uint32_t) : 0;
    if (h.payload_len != crcs) return Reject::kBadLengths;
  }
  const char* p = static_cast<const char*>(data) + sizeof(Header);
  view->address = std::string_view(p, h.addr_len);
  view->body = std::string_view(p + h.addr_len, h.body_len);
  view->payload_offset = sizeof(Header) + h.addr_len + h.body_len + h.payload_pad;
  view->payload = std::string_view(static_cast<const char*>(data) + view->payload_offset,
                                   h.payload_len);
  return Reject::kNone;
}

void WriteMessage(Header header, std::string_view address, std::string_view body,
                  std::string_view payload, void* out) {
  header.magic = kMagic;
  header.version = kVersion;
  header.addr_len = static_cast<uint16_t>(address.size());
  header.body_len = static_cast<uint32_t>(body.size());
  header.payload_len = static_cast<uint32_t>(payload.size());
  header.payload_pad =
      static_cast<uint16_t>(PayloadPad(address.size(), body.size(), payload.size()));
  char* p = static_cast<char*>(out);
  std::memcpy(p, &header, sizeof(Header));
  p += sizeof(Header);
  if (!address.empty()) std::memcpy(p, address.data(), address.size());
  p += address.size();
  if (!body.empty()) std::memcpy(p, body.data(), body.size());
  p += body.size();
  std::memset(p, 0, header.payload_pad);
  p += header.payload_pad;
  if (!payload.empty()) std::memcpy(p, payload.data(), payload.size());
}

char* WriteMessageBefore(Header header, std::string_view body, size_t payload_len,
                         char* buffer, size_t payload_offset) {
  size_t pad = (kPayloadAlign - (sizeof(Header) + body.size()) % kPayloadAlign) % kPayloadAlign;
  char* start = buffer + payload_offset - pad - body.size() - sizeof(Header);
  header.magic = kMagic;
  header.version = kVersion;
  header.addr_len = 0;
  header.body_len = static_cast<uint32_t>(body.size());
  header.payload_len = static_cast<uint32_t>(payload_len);
  header.payload_pad = static_cast<uint16_t>(pad);
  std::memcpy(start, &header, sizeof(Header));
  if (!body.empty()) std::memcpy(start + sizeof(Header), body.data(), body.size());
  std::memset(start + sizeof(Header) + body.size(), 0, pad);
  return start;
}

}  // namespace weft::rpc
