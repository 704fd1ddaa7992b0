// The RPC wire format: one message = header | sender address | protobuf body | inline payload.
//
// The header is 80 bytes, little endian (docs/rpc.md has the table). Requests carry the
// sender's fabric address so that a server can answer a client it has never seen; replies
// carry none. A payload larger than the inline threshold does not travel in the message: the
// request names a registered client buffer (bulk_addr, bulk_key, bulk_len) and the server
// pulls it with fi_read (kFlagBulkIn) or pushes into it with fi_write (kFlagBulkOut).
//
// A payload may be preceded by up to kPayloadAlign - 1 bytes of padding (payload_pad) so that
// it starts on a 4 KiB boundary of the receive buffer (message buffers are page aligned): the
// receiver can then read or write it with O_DIRECT where it lies.
//
// Bundles: the messages a loop sends to one peer in one turn may travel as one fabric message
// (one sendmsg and one receive instead of one each): a Header with only magic, version,
// kFlagBundle and payload_len (the bytes after the header) set, then per message a uint32 length
// (little endian), 4 zero bytes, the message, and zero padding to 8 bytes.
//
// Integrity: with kFlagCrc, payload_crc is the crc32c of the message's payload, inline or bulk
// (the bytes the bulk transfer moves). A request with kFlagCrc also asks for the reply's payload
// to be checksummed. The receiver checks it (RequestPayload on the server, CallRaw on the client).
// One exception: a request whose payload is bulk (kFlagBulkIn) with kFlagCrc carries, as its
// inline payload, the crc32c of each kBulkCrcPiece piece of the bulk payload (uint32 little
// endian, BulkCrcPieces(bulk_len) of them), and payload_crc is the crc32c of that list. A server
// can so check each piece as it lands, and start on it (the OSS writes it to disk) while the rest
// are still in flight. Without kFlagCrc a bulk request carries no inline payload.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace weft::rpc {

constexpr uint32_t kMagic = 0x54464557;  // "WEFT"
constexpr uint16_t kVersion = 3;         // 2: piece crcs of bulk request payloads; 3: bundles
constexpr size_t kMaxAddressLen = 128;
constexpr size_t kMaxBodyLen = 64 * 1024;
constexpr size_t kPayloadAlign = 4096;
// The piece of a bulk request payload that has a crc32c of its own (the last may be shorter).
constexpr size_t kBulkCrcPiece = 256 * 1024;

// How many kBulkCrcPiece pieces a bulk payload of `bulk_len` bytes has.
constexpr uint64_t BulkCrcPieces(uint64_t bulk_len) {
  return bulk_len / kBulkCrcPiece + (bulk_len % kBulkCrcPiece != 0 ? 1 : 0);
}

enum Flags : uint16_t {
  kFlagReply = 1 << 0,
  kFlagBulkIn = 1 << 1,   // request payload waits in the client's buffer: server reads it
  kFlagBulkOut = 1 << 2,  // response payload goes to the client's buffer: server writes it
  kFlagResend = 1 << 3,   // a resend of a request id sent before
  kFlagCrc = 1 << 4,      // payload_crc is set; in a request: checksum the reply's payload too
  // A one-way message from a server to a client that asked for them (a lease's callback, for
  // instance): client_id names the client, no reply is sent, and it carries no address, bulk
  // or payload. Only with kFlagReply (it travels as replies do: to a client's endpoint).
  kFlagNotify = 1 << 5,
  kFlagKnownFlags = (1 << 6) - 1,
  // Not a message but several, to one peer, sent as one (see "Bundles" below). Only the
  // MessageEndpoint sees it: ParseMessage refuses it as kBadFlags.
  kFlagBundle = 1 << 15,
};

#pragma pack(push, 1)
struct Header {
  uint32_t magic;
  uint16_t version;
  uint16_t flags;
  uint16_t service;
  uint16_t method;
  int32_t status;        // replies: a StatusCode
  uint64_t client_id;    // random per client engine; (client_id, request_id) names a call
  uint64_t request_id;
  uint32_t body_len;     // protobuf body bytes
  uint32_t payload_len;  // inline payload bytes after the body
  uint16_t addr_len;     // requests: sender address bytes right after the header
  uint16_t payload_pad;  // zero bytes between the body and the inline payload
  uint32_t timeout_ms;   // requests: how long the client waits for this attempt
  uint64_t bulk_addr;    // client buffer for RMA, when a bulk flag is set
  uint64_t bulk_key;
  uint64_t bulk_len;     // requests: the buffer's size; replies: bytes the server wrote
  uint32_t resp_capacity;  // requests: inline response payload bytes the client can take
  uint32_t payload_crc;    // with kFlagCrc: crc32c of the payload, inline or bulk
};
#pragma pack(pop)
static_assert(sizeof(Header) == 80, "the wire header is 80 bytes");

// Why a received message was refused; each reason has its own counter.
enum class Reject {
  kNone,
  kTruncated,     // shorter than a header, or than the lengths it declares
  kBadMagic,
  kBadVersion,
  kBadFlags,
  kBadLengths,    // address, body or payload length out of bounds or inconsistent
  kOversized,     // larger than the posted receive buffer (the fabric truncated it)
  kUnknownService,
  kUnknownMethod,
  kBadBody,       // protobuf body does not parse
  kCount,
};
const char* RejectName(Reject r);

// A validated view of a received message. Views point into the receive buffer.
struct MessageView {
  Header header;
  std::string_view address;
  std::string_view body;
  std::string_view payload;
  size_t payload_offset = 0;  // of the payload from the message's first byte
};

// Bundles (kFlagBundle): the per-message framing and the padding after each message.
constexpr size_t kBundleEntryHeader = 8;
constexpr size_t BundleEntrySize(size_t message_len) {
  return kBundleEntryHeader + (message_len + 7) / 8 * 8;
}
// If `data` holds a well-formed bundle of `len` bytes, the messages in it (views into `data`),
// in order, and true; false if it is not a bundle or is malformed (a message's length out of
// bounds, an empty bundle), in which case `out` is left empty.
bool SplitBundle(const char* data, size_t len, std::vector<std::string_view>* out);

// Checks magic, version, flags and every length against `len` received bytes.
// Fills `view` and returns kNone, or returns why the message is refused.
Reject ParseMessage(const void* data, size_t len, MessageView* view);

// The crc32c (Castagnoli, as iSCSI and ext4 use it) of `data`, hardware accelerated (ISA-L).
uint32_t Crc32c(const void* data, size_t len);

// The inline payload of a checksummed bulk request: the crc32c of each kBulkCrcPiece piece of
// `payload`, uint32 little endian.
std::string PieceCrcs(std::span<const char> payload);
// Entry `i` of such a list. REQUIRES: i < crcs.size() / 4.
uint32_t PieceCrcAt(std::string_view crcs, size_t i);

// The padding WriteMessage puts before a payload: enough to start it on a kPayloadAlign
// boundary when it is a whole number of 4 KiB blocks (which O_DIRECT could move), else none.
inline size_t PayloadPad(size_t addr_len, size_t body_len, size_t payload_len) {
  if (payload_len == 0 || payload_len % kPayloadAlign != 0) return 0;
  size_t before = sizeof(Header) + addr_len + body_len;
  return (kPayloadAlign - before % kPayloadAlign) % kPayloadAlign;
}

// Size of a message with these parts (and the padding PayloadPad gives them).
inline size_t MessageSize(size_t addr_len, size_t body_len, size_t payload_len) {
  return sizeof(Header) + addr_len + body_len + PayloadPad(addr_len, body_len, payload_len) +
         payload_len;
}

// Writes header and parts into `out`, which must hold MessageSize(...) bytes; sets the
// header's length fields and padding from the parts.
void WriteMessage(Header header, std::string_view address, std::string_view body,
                  std::string_view payload, void* out);

// Writes header and body into a buffer whose payload is already in place at `payload_offset`
// (a multiple of kPayloadAlign, at least sizeof(Header) + body.size()): they end right before
// it, at the message's start, which is returned. A reply only (no address).
char* WriteMessageBefore(Header header, std::string_view body, size_t payload_len,
                         char* buffer, size_t payload_offset);

}  // namespace weft::rpc
