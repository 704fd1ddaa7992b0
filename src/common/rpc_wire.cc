#include "common/rpc_wire.h"

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

Reject ParseMessage(const void* data, size_t len, MessageView* view) {
  if (len < sizeof(Header)) return Reject::kTruncated;
  Header& h = view->header;
  std::memcpy(&h, data, sizeof(Header));
  if (h.magic != kMagic) return Reject::kBadMagic;
  if (h.version != kVersion) return Reject::kBadVersion;
  if ((h.flags & ~kFlagKnownFlags) != 0) return Reject::kBadFlags;
  if ((h.flags & kFlagBulkIn) && (h.flags & kFlagBulkOut)) return Reject::kBadFlags;
  if (h.addr_len > kMaxAddressLen || h.body_len > kMaxBodyLen) return Reject::kBadLengths;
  if ((h.flags & kFlagReply) && h.addr_len != 0) return Reject::kBadLengths;
  // 64-bit sum: the three 32-bit lengths cannot overflow it.
  uint64_t want = uint64_t{sizeof(Header)} + h.addr_len + h.body_len + h.payload_len;
  if (want > len) return Reject::kTruncated;
  if (want < len) return Reject::kBadLengths;
  const char* p = static_cast<const char*>(data) + sizeof(Header);
  view->address = std::string_view(p, h.addr_len);
  view->body = std::string_view(p + h.addr_len, h.body_len);
  view->payload = std::string_view(p + h.addr_len + h.body_len, h.payload_len);
  return Reject::kNone;
}

void WriteMessage(Header header, std::string_view address, std::string_view body,
                  std::string_view payload, void* out) {
  header.magic = kMagic;
  header.version = kVersion;
  header.addr_len = static_cast<uint16_t>(address.size());
  header.body_len = static_cast<uint32_t>(body.size());
  header.payload_len = static_cast<uint32_t>(payload.size());
  char* p = static_cast<char*>(out);
  std::memcpy(p, &header, sizeof(Header));
  p += sizeof(Header);
  if (!address.empty()) std::memcpy(p, address.data(), address.size());
  p += address.size();
  if (!body.empty()) std::memcpy(p, body.data(), body.size());
  p += body.size();
  if (!payload.empty()) std::memcpy(p, payload.data(), payload.size());
}

}  // namespace weft::rpc
