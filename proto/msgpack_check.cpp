#include "proto/msgpack_check.hpp"

// msgpack-cxx 4.1 headers use size_t and the fixed-width integer types
// without including their headers.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include <msgpack.hpp>

namespace peernet {
namespace {

// Walks one object with msgpack-c's visitor parser (v2 API: no tree, no
// allocation from declared sizes) and stops it at the first limit exceeded.
// The parser keeps its own container stack, which stays small because we stop
// it as soon as the depth limit is passed.
class LimitVisitor : public msgpack::null_visitor {
 public:
  explicit LimitVisitor(const MsgpackLimits& limits) : limits_(limits) {}

  bool visit_nil() { return count(); }
  bool visit_boolean(bool) { return count(); }
  bool visit_positive_integer(uint64_t) { return count(); }
  bool visit_negative_integer(int64_t) { return count(); }
  bool visit_float32(float) { return count(); }
  bool visit_float64(double) { return count(); }
  bool visit_str(const char*, uint32_t) { return count(); }
  bool visit_bin(const char*, uint32_t) { return count(); }
  bool visit_ext(const char* v, uint32_t size) { return count() && ext(v, size); }
  bool start_array(uint32_t n) { return open("array", n); }
  bool end_array() { return close(); }
  bool start_map(uint32_t n) { return open("map", n); }
  bool end_map() { return close(); }
  void parse_error(size_t /*parsed_offset*/, size_t error_offset) {
    bad_offset_ = error_offset;
    invalid_ = true;
  }
  void insufficient_bytes(size_t, size_t) { truncated_ = true; }

  // Why the parse stopped, once it has.
  std::string reason(const uint8_t* data, size_t size) const {
    if (!limit_.empty()) return limit_;
    if (invalid_ && bad_offset_ < size)
      return "invalid byte 0x" + to_hex(ByteView(data + bad_offset_, 1)) + " at offset " +
             std::to_string(bad_offset_);
    if (truncated_ || invalid_) return "truncated after " + std::to_string(size) + " bytes";
    return "unparseable";
  }

 private:
  bool count() {
    if (++objects_ <= limits_.max_objects) return true;
    limit_ = "more than " + std::to_string(limits_.max_objects) + " objects";
    return false;
  }
  bool open(const char* kind, uint32_t n) {
    if (!count()) return false;
    if (n > limits_.max_container) {
      limit_ = std::string(kind) + " of " + std::to_string(n) + " elements exceeds the limit of " +
               std::to_string(limits_.max_container);
      return false;
    }
    if (++depth_ > limits_.max_depth) {
      limit_ = "nested deeper than " + std::to_string(limits_.max_depth);
      return false;
    }
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  // `v` is the type byte, then the data; `size` counts both. Application
  // types (0..127) carry anything. Of the types the msgpack spec reserves
  // (-128..-1) only the timestamp (-1) is defined, as 4, 8 or 12 bytes with
  // nanoseconds below 10^9. Common msgpack libraries refuse the rest, so
  // passing them on would break the local program that receives them.
  bool ext(const char* v, uint32_t size) {
    const auto type = static_cast<int8_t>(v[0]);
    const auto* d = reinterpret_cast<const uint8_t*>(v + 1);
    const uint32_t n = size - 1;
    if (type >= 0) return true;
    if (type != -1) {
      limit_ = "reserved ext type " + std::to_string(type);
      return false;
    }
    uint64_t nanoseconds = 0;
    if (n == 8) nanoseconds = get_u32be(d) >> 2;  // the top 30 of 64 bits
    else if (n == 12) nanoseconds = get_u32be(d);
    else if (n != 4) {
      limit_ = "timestamp of " + std::to_string(n) + " bytes, not 4, 8 or 12";
      return false;
    }
    if (nanoseconds > 999'999'999) {
      limit_ = "timestamp with " + std::to_string(nanoseconds) + " nanoseconds";
      return false;
    }
    return true;
  }

  const MsgpackLimits& limits_;
  uint64_t objects_ = 0;
  uint32_t depth_ = 0;
  size_t bad_offset_ = 0;
  bool invalid_ = false;
  bool truncated_ = false;
  std::string limit_;
};

Error negative(std::string_view what) {
  return make_error(Errc::protocol_error,
                    std::string(what) + ": expected an unsigned integer, found a negative one");
}

bool is_array_header(uint8_t b) { return (b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd; }
bool is_map_header(uint8_t b) { return (b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf; }

}  // namespace

namespace {

// The encoded size of a scalar (not a container, not an ext) from its
// header alone; 0 for anything else. Such an object is one object at depth
// 0, within every limit, and valid once all its bytes are there.
uint64_t scalar_size(ByteView data) {
  const uint8_t b = data[0];
  auto be = [&](size_t n) -> uint64_t {
    if (data.size() < 1 + n) return UINT64_MAX;  // the header itself is cut short
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | data[1 + i];
    return v;
  };
  auto sized = [&](size_t n) -> uint64_t {
    uint64_t len = be(n);
    return len == UINT64_MAX ? 0 : 1 + n + len;
  };
  if (b <= 0x7f || b >= 0xe0) return 1;
  if (b >= 0xa0 && b <= 0xbf) return 1 + (b & 0x1f);
  switch (b) {
    case 0xc0: case 0xc2: case 0xc3: return 1;
    case 0xcc: case 0xd0: return 2;
    case 0xcd: case 0xd1: return 3;
    case 0xca: case 0xce: case 0xd2: return 5;
    case 0xcb: case 0xcf: case 0xd3: return 9;
    case 0xc4: case 0xd9: return sized(1);
    case 0xc5: case 0xda: return sized(2);
    case 0xc6: case 0xdb: return sized(4);
    default: return 0;
  }
}

}  // namespace

Result<size_t> check_object(ByteView data, const MsgpackLimits& limits) {
  if (data.empty())
    return make_error(Errc::protocol_error, "msgpack: no bytes where an object was expected");
  // Most payloads are one str or bin: no parser needed. Anything else, and
  // a scalar cut short (for the parser's error message), takes the parser.
  if (uint64_t n = scalar_size(data); n > 0 && n <= data.size() && limits.max_objects >= 1)
    return static_cast<size_t>(n);
  LimitVisitor visitor(limits);
  size_t off = 0;
  bool ok = false;
  try {
    ok = msgpack::parse(reinterpret_cast<const char*>(data.data()), data.size(), off, visitor);
  } catch (const std::exception& e) {
    // msgpack-c throws only on allocation failure or, on 32-bit hosts, for an
    // ext size it cannot represent; either way the input is refused.
    return make_error(Errc::protocol_error, std::string("msgpack: ") + e.what());
  }
  if (ok) return off;
  return make_error(Errc::protocol_error, "msgpack: " + visitor.reason(data.data(), data.size()));
}

std::string_view msgpack_type_name(uint8_t b) {
  if (b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3)) return "an integer";
  if (is_map_header(b)) return "a map";
  if (is_array_header(b)) return "an array";
  if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb)) return "a string";
  switch (b) {
    case 0xc0: return "nil";
    case 0xc2:
    case 0xc3: return "a boolean";
    case 0xc4:
    case 0xc5:
    case 0xc6: return "binary";
    case 0xca:
    case 0xcb: return "a float";
    case 0xc1: return "the invalid byte 0xc1";
    default: return "an extension";  // 0xc7..0xc9, 0xd4..0xd8
  }
}

// --- MsgpackReader ----------------------------------------------------------

Result<uint8_t> MsgpackReader::peek(std::string_view what) const {
  if (pos_ >= data_.size())
    return make_error(Errc::protocol_error, std::string(what) + ": missing (truncated)");
  return data_[pos_];
}

Result<uint64_t> MsgpackReader::field(std::string_view what, size_t n) const {
  if (remaining() < 1 + n)
    return make_error(Errc::protocol_error, std::string(what) + ": truncated");
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + 1 + i];
  return v;
}

Error MsgpackReader::mismatch(std::string_view what, std::string_view expected) const {
  std::string m(what);
  m += ": expected ";
  m += expected;
  m += ", found ";
  m += msgpack_type_name(data_[pos_]);
  return make_error(Errc::protocol_error, std::move(m));
}

Result<uint32_t> MsgpackReader::array(std::string_view what) {
  return container(what, 0x90, 0xdc, "an array");
}

Result<uint32_t> MsgpackReader::map(std::string_view what) {
  return container(what, 0x80, 0xde, "a map");
}

Result<uint32_t> MsgpackReader::container(std::string_view what, uint8_t fix, uint8_t code16,
                                          std::string_view expected) {
  PEERNET_TRY(uint8_t b, peek(what));
  if (b >= fix && b <= fix + 0x0f) {
    ++pos_;
    return uint32_t{b & 0x0fu};
  }
  if (b != code16 && b != code16 + 1) return mismatch(what, expected);
  size_t n = b == code16 ? 2 : 4;
  PEERNET_TRY(uint64_t count, field(what, n));
  pos_ += 1 + n;
  return static_cast<uint32_t>(count);
}

Result<uint64_t> MsgpackReader::uint(std::string_view what) {
  PEERNET_TRY(uint8_t b, peek(what));
  if (b <= 0x7f) {
    ++pos_;
    return uint64_t{b};
  }
  if (b >= 0xe0) return negative(what);
  bool is_signed = b >= 0xd0 && b <= 0xd3;
  if (!(b >= 0xcc && b <= 0xcf) && !is_signed) return mismatch(what, "an unsigned integer");
  size_t n = size_t{1} << (b & 0x03);  // 1, 2, 4 or 8 bytes
  PEERNET_TRY(uint64_t v, field(what, n));
  // A signed encoding is fine for a non-negative value (msgpack-c reads it as
  // positive); its sign bit is the top bit of the first value byte.
  if (is_signed && (data_[pos_ + 1] & 0x80) != 0) return negative(what);
  pos_ += 1 + n;
  return v;
}

Result<std::string_view> MsgpackReader::str(std::string_view what) {
  PEERNET_TRY(uint8_t b, peek(what));
  size_t header = 1;
  uint64_t len = 0;
  if (b >= 0xa0 && b <= 0xbf) {
    len = b & 0x1f;
  } else if (b >= 0xd9 && b <= 0xdb) {
    size_t n = size_t{1} << (b - 0xd9);
    PEERNET_TRY(uint64_t l, field(what, n));
    header += n;
    len = l;
  } else {
    return mismatch(what, "a string");
  }
  if (remaining() - header < len)
    return make_error(Errc::protocol_error, std::string(what) + ": truncated string");
  std::string_view s(reinterpret_cast<const char*>(data_.data() + pos_ + header),
                     static_cast<size_t>(len));
  pos_ += header + static_cast<size_t>(len);
  return s;
}

Result<ByteView> MsgpackReader::bin(std::string_view what) {
  PEERNET_TRY(uint8_t b, peek(what));
  if (b < 0xc4 || b > 0xc6) return mismatch(what, "a bin");
  size_t n = size_t{1} << (b - 0xc4);
  PEERNET_TRY(uint64_t len, field(what, n));
  size_t header = 1 + n;
  if (remaining() - header < len)
    return make_error(Errc::protocol_error, std::string(what) + ": truncated bin");
  ByteView v(data_.data() + pos_ + header, static_cast<size_t>(len));
  pos_ += header + static_cast<size_t>(len);
  return v;
}

bool MsgpackReader::nil() {
  if (pos_ < data_.size() && data_[pos_] == 0xc0) {
    ++pos_;
    return true;
  }
  return false;
}

Result<ByteView> MsgpackReader::object(std::string_view what, const MsgpackLimits& limits) {
  auto size = check_object(data_.subspan(pos_), limits);
  if (!size.ok())
    return make_error(Errc::protocol_error, std::string(what) + ": " + size.error().message);
  ByteView v = data_.subspan(pos_, *size);
  pos_ += *size;
  return v;
}

// --- MsgpackWriter ----------------------------------------------------------

namespace {
// msgpack::packer holds only a reference to its stream, so a fresh one per
// call costs nothing and keeps msgpack types out of MsgpackWriter's header.
msgpack::packer<BytesSink> packer(BytesSink& sink) { return msgpack::packer<BytesSink>(sink); }
}  // namespace

void MsgpackWriter::array(uint32_t n) { packer(sink_).pack_array(n); }
void MsgpackWriter::map(uint32_t n) { packer(sink_).pack_map(n); }
void MsgpackWriter::uint(uint64_t v) { packer(sink_).pack_uint64(v); }
void MsgpackWriter::integer(int64_t v) { packer(sink_).pack_int64(v); }
void MsgpackWriter::boolean(bool v) {
  if (v)
    packer(sink_).pack_true();
  else
    packer(sink_).pack_false();
}
void MsgpackWriter::nil() { packer(sink_).pack_nil(); }
void MsgpackWriter::str(std::string_view s) {
  auto n = static_cast<uint32_t>(s.size());
  packer(sink_).pack_str(n).pack_str_body(s.data(), n);
}
void MsgpackWriter::bin(ByteView b) {
  auto n = static_cast<uint32_t>(b.size());
  packer(sink_).pack_bin(n).pack_bin_body(reinterpret_cast<const char*>(b.data()), n);
}

// --- MsgpackScanner ---------------------------------------------------------

void MsgpackScanner::reset() {
  pos_ = 0;
  owed_ = 1;
  min_size_ = 0;
  state_ = State::need_more;
}

MsgpackScanner::State MsgpackScanner::scan(ByteView buf) {
  if (state_ != State::need_more) return state_;
  const uint64_t have = buf.size();
  // Every owed object takes at least one byte, so `pos_ + owed_` is a lower
  // bound on the size; stopping as soon as it passes max_size_ refuses a huge
  // declared array before its elements arrive, and keeps owed_ small.
  auto need = [&](uint64_t at_least) {
    min_size_ = at_least;
    if (at_least > max_size_) state_ = State::too_large;
    return state_;
  };
  while (owed_ > 0) {
    if (pos_ >= have) return need(pos_ + owed_);
    const uint8_t b = buf[pos_];
    uint64_t item = 1;      // bytes of this object's own encoding (header + body)
    uint64_t children = 0;  // objects it contains
    size_t len_field = 0;   // bytes of an explicit length field after the header byte
    enum { kBody, kArray, kMap } kind = kBody;
    size_t extra = 0;  // bytes between the length field and the body (ext type)

    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
      item = 1;
    } else if (b <= 0x8f) {
      children = 2 * uint64_t{b & 0x0fu};
    } else if (b <= 0x9f) {
      children = b & 0x0fu;
    } else if (b <= 0xbf) {
      item = 1 + uint64_t{b & 0x1fu};
    } else {
      // clang-format off
      switch (b) {
        case 0xc4: case 0xd9: len_field = 1; break;  // bin 8, str 8
        case 0xc5: case 0xda: len_field = 2; break;  // bin 16, str 16
        case 0xc6: case 0xdb: len_field = 4; break;  // bin 32, str 32
        case 0xc7: len_field = 1; extra = 1; break;  // ext 8
        case 0xc8: len_field = 2; extra = 1; break;  // ext 16
        case 0xc9: len_field = 4; extra = 1; break;  // ext 32
        case 0xca: item = 5; break;                  // float 32
        case 0xcb: item = 9; break;                  // float 64
        case 0xcc: case 0xd0: item = 2; break;       // (u)int 8
        case 0xcd: case 0xd1: item = 3; break;       // (u)int 16
        case 0xce: case 0xd2: item = 5; break;       // (u)int 32
        case 0xcf: case 0xd3: item = 9; break;       // (u)int 64
        case 0xd4: item = 3; break;                  // fixext 1
        case 0xd5: item = 4; break;                  // fixext 2
        case 0xd6: item = 6; break;                  // fixext 4
        case 0xd7: item = 10; break;                 // fixext 8
        case 0xd8: item = 18; break;                 // fixext 16
        case 0xdc: len_field = 2; kind = kArray; break;
        case 0xdd: len_field = 4; kind = kArray; break;
        case 0xde: len_field = 2; kind = kMap; break;
        case 0xdf: len_field = 4; kind = kMap; break;
        default:  // 0xc1, "never used" in the msgpack spec
          return state_ = State::invalid;
      }
      // clang-format on
    }
    if (len_field > 0) {
      if (pos_ + 1 + len_field > have) return need(pos_ + 1 + len_field + owed_ - 1);
      uint64_t n = 0;
      for (size_t i = 0; i < len_field; ++i) n = (n << 8) | buf[pos_ + 1 + i];
      item = 1 + len_field;
      if (kind == kBody)
        item += extra + n;
      else
        children = kind == kArray ? n : 2 * n;
    }
    if (pos_ + item > have) return need(pos_ + item + owed_ - 1);
    pos_ += item;
    owed_ = owed_ - 1 + children;
    if (pos_ + owed_ > max_size_) return need(pos_ + owed_);
  }
  return state_ = State::complete;
}

}  // namespace peernet
