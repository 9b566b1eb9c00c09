#include "proto/link/frame.hpp"

#include <algorithm>
#include <string>

namespace peernet {
namespace {

using MaybeFrame = std::optional<ByteView>;

bool valid_length(uint32_t len) { return len >= 1 && len <= kMaxFrameBody; }

}  // namespace

Status put_frame_header(MutableByteView out, size_t body_len) {
  if (out.size() < kFrameHeaderSize)
    return make_error(Errc::invalid_state, "a frame header needs 4 bytes of room");
  if (body_len == 0 || body_len > kMaxFrameBody)
    return make_error(Errc::payload_too_large,
                      "a frame body is 1 to 65535 bytes, not " + std::to_string(body_len));
  put_u32be(out.data(), static_cast<uint32_t>(body_len));
  return {};
}

Status append_frame(Bytes& out, ByteView body) {
  uint8_t header[kFrameHeaderSize];
  PEERNET_TRY_VOID(put_frame_header(header, body.size()));
  out.insert(out.end(), header, header + kFrameHeaderSize);
  out.insert(out.end(), body.begin(), body.end());
  return {};
}

Error FrameDecoder::fail(std::string message) {
  error_ = make_error(Errc::protocol_error, std::move(message));
  // Nothing more will be read: give the memory back now.
  Bytes().swap(partial_);
  input_ = {};
  return *error_;
}

Status FrameDecoder::feed(ByteView data) {
  if (error_) return *error_;
  if (!input_.empty())
    return make_error(Errc::invalid_state,
                      "frame decoder fed before the previous chunk was drained");
  input_ = data;
  return {};
}

Result<MaybeFrame> FrameDecoder::next() {
  if (error_) return *error_;
  if (partial_done_) {
    partial_.clear();
    partial_done_ = false;
  }

  // A frame that started in an earlier chunk: complete it in partial_.
  if (!partial_.empty()) {
    if (partial_.size() < kFrameHeaderSize) {
      size_t take = std::min(kFrameHeaderSize - partial_.size(), input_.size());
      partial_.insert(partial_.end(), input_.begin(), input_.begin() + take);
      input_ = input_.subspan(take);
      if (partial_.size() < kFrameHeaderSize) return MaybeFrame{};
      uint32_t len = get_u32be(partial_.data());
      if (!valid_length(len))
        return fail("frame length " + std::to_string(len) + " is outside 1..65535");
      partial_.reserve(kFrameHeaderSize + len);
    }
    const size_t total = kFrameHeaderSize + get_u32be(partial_.data());
    size_t take = std::min(total - partial_.size(), input_.size());
    partial_.insert(partial_.end(), input_.begin(), input_.begin() + take);
    input_ = input_.subspan(take);
    if (partial_.size() < total) return MaybeFrame{};
    partial_done_ = true;
    return MaybeFrame(ByteView(partial_).subspan(kFrameHeaderSize));
  }

  if (input_.empty()) return MaybeFrame{};
  if (input_.size() < kFrameHeaderSize) {
    partial_.assign(input_.begin(), input_.end());
    input_ = {};
    return MaybeFrame{};
  }
  uint32_t len = get_u32be(input_.data());
  if (!valid_length(len))
    return fail("frame length " + std::to_string(len) + " is outside 1..65535");
  if (input_.size() >= kFrameHeaderSize + len) {
    // The common case: the whole frame is in this chunk, no copy.
    ByteView body = input_.subspan(kFrameHeaderSize, len);
    input_ = input_.subspan(kFrameHeaderSize + len);
    return MaybeFrame(body);
  }
  partial_.reserve(kFrameHeaderSize + len);
  partial_.assign(input_.begin(), input_.end());
  input_ = {};
  return MaybeFrame{};
}

}  // namespace peernet
