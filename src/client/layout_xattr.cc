#include "client/layout_xattr.h"

#include <charconv>
#include <functional>
#include <vector>

namespace weft::client {
namespace {

// Splits on spaces, commas (between pairs) and newlines: "a=1 b=2,c=3".
std::vector<std::pair<std::string_view, std::string_view>> Pairs(std::string_view text,
                                                                  bool commas_split,
                                                                  Status* error) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  size_t i = 0;
  auto sep = [&](char c) { return c == ' ' || c == '\n' || c == '\t' || (commas_split && c == ','); };
  while (i < text.size()) {
    while (i < text.size() && sep(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !sep(text[i])) ++i;
    if (start == i) break;
    std::string_view item = text.substr(start, i - start);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      *error = Status(StatusCode::kInvalidArgument,
                      "weft.layout: '" + std::string(item) + "' is not KEY=VALUE");
      return {};
    }
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

template <typename T>
Status ParseNumber(std::string_view key, std::string_view value, T* out) {
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), *out);
  if (ec != std::errc() || end != value.data() + value.size()) {
    return Status(StatusCode::kInvalidArgument, "weft.layout: " + std::string(key) + "='" +
                                                    std::string(value) + "' is not a number");
  }
  return Status::Ok();
}

}  // namespace

Result<LayoutRequest> ParseLayoutXattr(std::string_view text) {
  Status error;
  auto pairs = Pairs(text, true, &error);
  WEFT_RETURN_IF_ERROR(error);
  if (pairs.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "weft.layout: empty; give stripe_size=, stripe_count= or start_ost=");
  }
  LayoutRequest r;
  for (auto [key, value] : pairs) {
    if (key == "stripe_size") {
      WEFT_RETURN_IF_ERROR(ParseNumber(key, value, &r.stripe_size));
      if (r.stripe_size == 0 || r.stripe_size % 65536 != 0) {
        return Status(StatusCode::kInvalidArgument,
                      "weft.layout: stripe_size " + std::string(value) +
                          " must be a positive multiple of 64 KiB (65536)");
      }
    } else if (key == "stripe_count") {
      WEFT_RETURN_IF_ERROR(ParseNumber(key, value, &r.stripe_count));
      if (r.stripe_count < -1) {
        return Status(StatusCode::kInvalidArgument,
                      "weft.layout: stripe_count " + std::string(value) +
                          " must be -1 (all OSTs), 0 (inherit) or positive");
      }
    } else if (key == "start_ost") {
      int32_t start = 0;
      WEFT_RETURN_IF_ERROR(ParseNumber(key, value, &start));
      r.start_ost = start;
      if (start < -1) {
        return Status(StatusCode::kInvalidArgument,
                      "weft.layout: start_ost " + std::string(value) + " must be -1 or an index");
      }
    } else if (key == "objects" || key == "inherited") {
      // Present in what getfattr printed: a layout read back is accepted and its objects
      // ignored (they are chosen by the MDS).
    } else {
      return Status(StatusCode::kInvalidArgument,
                    "weft.layout: unknown key '" + std::string(key) +
                        "' (stripe_size, stripe_count, start_ost)");
    }
  }
  return r;
}

std::string FormatLayoutXattr(const mds::LayoutReply& reply) {
  const mds::Layout& l = reply.layout();
  std::string s = "stripe_size=" + std::to_string(l.stripe_size()) +
                  " stripe_count=" + std::to_string(l.stripe_count());
  if (l.objects_size() > 0) {
    s += " objects=";
    for (int i = 0; i < l.objects_size(); ++i) {
      if (i > 0) s += ",";
      s += std::to_string(l.objects(i).ost_index()) + ":" +
           std::to_string(l.objects(i).object_id());
    }
  }
  if (l.has_start_ost()) s += " start_ost=" + std::to_string(l.start_ost());
  if (reply.inherited()) s += " inherited=1";
  return s;
}

Result<mds::LayoutReply> ParseLayoutXattrValue(std::string_view text) {
  Status error;
  auto pairs = Pairs(text, false, &error);
  WEFT_RETURN_IF_ERROR(error);
  mds::LayoutReply reply;
  mds::Layout* l = reply.mutable_layout();
  bool size_seen = false;
  for (auto [key, value] : pairs) {
    if (key == "stripe_size") {
      uint64_t v = 0;
      WEFT_RETURN_IF_ERROR(ParseNumber(key, value, &v));
      l->set_stripe_size(v);
      size_seen = true;
    } else if (key == "stripe_count") {
      int32_t v = 0;
      WEFT_RETURN_IF_ERROR(ParseNumber(key, value, &v));
      l->set_stripe_count(v);
    } else if (key == "start_ost") {
      int32_t v = 0;
      WEFT_RETURN_IF_ERROR(ParseNumber(key, value, &v));
      l->set_start_ost(v);
    } else if (key == "inherited") {
      reply.set_inherited(value == "1");
    } else if (key == "objects") {
      size_t i = 0;
      while (i < value.size()) {
        size_t comma = value.find(',', i);
        if (comma == std::string_view::npos) comma = value.size();
        std::string_view obj = value.substr(i, comma - i);
        size_t colon = obj.find(':');
        if (colon == std::string_view::npos) {
          return Status(StatusCode::kInvalidArgument,
                        "weft.layout: object '" + std::string(obj) + "' is not OST:ID");
        }
        uint32_t ost = 0;
        uint64_t id = 0;
        WEFT_RETURN_IF_ERROR(ParseNumber("objects", obj.substr(0, colon), &ost));
        WEFT_RETURN_IF_ERROR(ParseNumber("objects", obj.substr(colon + 1), &id));
        mds::StripeObject* o = l->add_objects();
        o->set_ost_index(ost);
        o->set_object_id(id);
        i = comma + 1;
      }
    } else {
      return Status(StatusCode::kInvalidArgument,
                    "weft.layout: unknown key '" + std::string(key) + "' in the value read");
    }
  }
  if (!size_seen) {
    return Status(StatusCode::kInvalidArgument, "weft.layout: no stripe_size in the value read");
  }
  return reply;
}

}  // namespace weft::client
