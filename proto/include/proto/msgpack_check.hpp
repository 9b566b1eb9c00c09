// Shared msgpack helpers of the peer and control codecs.
//
// Every msgpack value that a peer or a local client sends passes through here
// before anything interprets it:
//   - check_object() validates one complete object against MsgpackLimits and
//     returns its encoded size. Payloads we pass through untouched (call args,
//     RPC params) are kept as these exact bytes, never re-encoded.
//   - MsgpackReader is a strict cursor for the fixed outer layout of our own
//     messages (an array header, then integers, strings, opaque objects).
//   - MsgpackScanner finds where one object ends in a byte stream that
//     arrives piecewise, in linear time, without building anything.
//   - MsgpackWriter appends msgpack to a Bytes (msgpack-c's packer inside),
//     and BytesSink lets a msgpack::packer do the same directly.
//
// Nothing here allocates in proportion to a size declared on the wire: a str,
// bin or ext body is only accepted once all its bytes are present, and a
// container's element count only bounds how many objects must follow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/bytes.hpp"
#include "proto/result.hpp"

namespace peernet {

// Bounds for untrusted msgpack. The defaults are the protocol's limits
// (guides/protocol.md, guides/control-api.md).
struct MsgpackLimits {
  // Containers nested inside each other, the outermost counting as 1.
  uint32_t max_depth = 32;
  // Elements of one array, or key/value pairs of one map.
  uint32_t max_container = 65536;
  // Objects in total, containers and scalars alike. It bounds what a consumer
  // that builds a tree (msgpack::object, JSON) allocates per message, whatever
  // the message's size: 2^18 objects are ~6 MiB of msgpack::object.
  uint64_t max_objects = uint64_t{1} << 18;
};

// Validates the first msgpack object of `data` and returns its encoded size
// (which may be less than data.size(); callers that expect exactly one object
// compare). Errors are Errc::protocol_error with a message saying what is
// wrong: truncated, an invalid byte, which limit was exceeded, or an ext type
// the msgpack spec reserves (-128..-2) or a malformed timestamp (-1).
Result<size_t> check_object(ByteView data, const MsgpackLimits& limits = {});

// A short description of the msgpack type that starts with `first_byte`
// ("a string", "an array", ...) for error messages.
std::string_view msgpack_type_name(uint8_t first_byte);

// A strict cursor over msgpack bytes. Each read names the field it is reading
// (`what`) so that errors say e.g. "handle: expected a string, found an integer".
// Errors are Errc::protocol_error; a failed read does not move the cursor.
class MsgpackReader {
 public:
  explicit MsgpackReader(ByteView data) : data_(data) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }

  // The element count of an array header (the elements follow).
  Result<uint32_t> array(std::string_view what);
  // The pair count of a map header (the keys and values follow).
  Result<uint32_t> map(std::string_view what);
  // A non-negative integer in any msgpack integer encoding (uint 8..64, or
  // int 8..64 holding a value >= 0, as msgpack-c itself reads them).
  Result<uint64_t> uint(std::string_view what);
  // A str (not bin); the view points into the input.
  Result<std::string_view> str(std::string_view what);
  // A bin (not str); the view points into the input.
  Result<ByteView> bin(std::string_view what);
  // Consumes a nil and returns true, or returns false and consumes nothing.
  bool nil();
  // The raw bytes of the next object, validated with check_object.
  Result<ByteView> object(std::string_view what, const MsgpackLimits& limits);

 private:
  Result<uint8_t> peek(std::string_view what) const;
  // The big-endian unsigned value of `n` bytes after the header byte.
  Result<uint64_t> field(std::string_view what, size_t n) const;
  Error mismatch(std::string_view what, std::string_view expected) const;
  // An array's or a map's header, which share a layout: a fix form with the
  // count in the low nibble (fix to fix + 0x0f), then a 16-bit and a 32-bit
  // count (code16 and code16 + 1). `expected` names the kind for messages.
  Result<uint32_t> container(std::string_view what, uint8_t fix, uint8_t code16,
                             std::string_view expected);

  ByteView data_;
  size_t pos_ = 0;
};

// Finds the end of one msgpack object whose bytes arrive piecewise.
//
// It needs no stack: it counts the objects still owed (one to start with; an
// array of n owes n more, a map of n owes 2n) and walks headers until none is
// owed. Its position survives between calls, so the total work is linear in
// the object's size however the stream is split. It only checks that every
// header is well-formed (0xc1 never starts an object) and the size cap; depth
// and counts are check_object's job once the object is complete.
class MsgpackScanner {
 public:
  enum class State : uint8_t {
    need_more,  // the object continues past the bytes given; see min_size()
    complete,   // size() is the object's encoded size
    invalid,    // a byte that cannot start a msgpack object
    too_large,  // the object is certainly longer than max_size
  };

  explicit MsgpackScanner(size_t max_size) : max_size_(max_size) {}

  // `buf` holds the object's bytes received so far, from its first byte.
  // Each call passes the same bytes as the previous one plus possibly more.
  // complete, invalid and too_large are final until reset().
  State scan(ByteView buf);

  // After complete: the encoded size.
  size_t size() const { return static_cast<size_t>(pos_); }
  // After need_more: a lower bound on the object's size, always more than the
  // bytes given, never more than the real size. Supplying bytes up to this
  // bound never reads into whatever follows the object.
  size_t min_size() const { return static_cast<size_t>(min_size_); }
  // After invalid: the offset of the offending byte.
  size_t error_offset() const { return static_cast<size_t>(pos_); }

  // Forget the current object; the next scan() starts a new one.
  void reset();

 private:
  size_t max_size_;
  uint64_t pos_ = 0;   // start of the next header to read
  uint64_t owed_ = 1;  // objects still to read
  uint64_t min_size_ = 0;
  State state_ = State::need_more;
};

// The output stream msgpack::packer needs (`write(const char*, size_t)`),
// appending to a Bytes the caller owns.
struct BytesSink {
  Bytes* out;
  void write(const char* data, size_t size) {
    const auto* p = reinterpret_cast<const uint8_t*>(data);
    out->insert(out->end(), p, p + size);
  }
};

// Appends msgpack to `out` in the smallest encoding of each value, through
// msgpack-c's packer, without exposing msgpack headers to every includer.
class MsgpackWriter {
 public:
  explicit MsgpackWriter(Bytes& out) : sink_{&out} {}
  void array(uint32_t n);
  void map(uint32_t n);
  void uint(uint64_t v);
  void integer(int64_t v);
  void boolean(bool v);
  void nil();
  // Precondition: s.size() < 2^32 (callers bound their strings far lower).
  void str(std::string_view s);
  void bin(ByteView b);
  // Already-encoded msgpack, copied verbatim.
  void raw(ByteView b) { sink_.out->insert(sink_.out->end(), b.begin(), b.end()); }

 private:
  BytesSink sink_;
};

}  // namespace peernet
