#include "proto/link/record.hpp"

#include <algorithm>
#include <string>

namespace peernet {
namespace {

using MaybeEnvelope = std::optional<ByteView>;

void put_record_header(Bytes& out, RecordType type, size_t len) {
  uint8_t h[kRecordHeaderSize];
  h[0] = static_cast<uint8_t>(type);
  put_u16be(h + 1, static_cast<uint16_t>(len));
  out.insert(out.end(), h, h + kRecordHeaderSize);
}

}  // namespace

// --- RecordWriter -----------------------------------------------------------

Status RecordWriter::push(Bytes envelope) {
  if (envelope.empty()) return make_error(Errc::invalid_state, "an envelope cannot be empty");
  if (envelope.size() > max_envelope_)
    return make_error(Errc::payload_too_large, "envelope of " + std::to_string(envelope.size()) +
                                                   " bytes exceeds the limit of " +
                                                   std::to_string(max_envelope_));
  queued_bytes_ += envelope.size();
  queue_.push_back(std::move(envelope));
  return {};
}

size_t RecordWriter::write(Bytes& out, bool rekey) {
  const size_t start = out.size();
  size_t room = kMaxPlaintext - (rekey ? kRecordHeaderSize : 0);
  out.reserve(start + std::min(room, queued_bytes() + queue_.size() * (kRecordHeaderSize + 4)) +
              (rekey ? kRecordHeaderSize : 0));

  while (!queue_.empty()) {
    const Bytes& env = queue_.front();
    size_t chunk = 0;
    if (head_offset_ > 0) {
      // Continuing a fragmented envelope. It is always the first record of
      // its plaintext: the previous one ended because this envelope filled it.
      chunk = std::min(env.size() - head_offset_, room - kRecordHeaderSize);
      put_record_header(out, RecordType::fragment_more, chunk);
    } else if (kRecordHeaderSize + env.size() <= room) {
      chunk = env.size();
      put_record_header(out, RecordType::envelope, chunk);
    } else if (env.size() <= kMaxUnfragmentedEnvelope && out.size() > start) {
      break;  // whole, at the start of the next plaintext
    } else {
      // Too large for any plaintext, or for this empty one: a plaintext that
      // ends with REKEY has 3 bytes less room, and deferring an envelope of
      // 65514..65516 bytes to the next plaintext would never make progress
      // when every plaintext ends with REKEY.
      if (room < kRecordHeaderSize + kFragmentTotalSize + 1) break;
      chunk = std::min(env.size(), room - kRecordHeaderSize - kFragmentTotalSize);
      put_record_header(out, RecordType::fragment_first, kFragmentTotalSize + chunk);
      uint8_t total[kFragmentTotalSize];
      put_u32be(total, static_cast<uint32_t>(env.size()));
      out.insert(out.end(), total, total + kFragmentTotalSize);
      room -= kFragmentTotalSize;
    }
    out.insert(out.end(), env.begin() + static_cast<ptrdiff_t>(head_offset_),
               env.begin() + static_cast<ptrdiff_t>(head_offset_ + chunk));
    room -= kRecordHeaderSize + chunk;
    head_offset_ += chunk;
    if (head_offset_ < env.size()) break;  // this plaintext is full
    queued_bytes_ -= env.size();
    head_offset_ = 0;
    queue_.pop_front();
  }
  if (rekey) put_record_header(out, RecordType::rekey, 0);
  return out.size() - start;
}

// --- RecordReader -----------------------------------------------------------

Error RecordReader::fail(Errc code, std::string message) {
  error_ = make_error(code, std::move(message));
  Bytes().swap(assembly_);
  expected_ = 0;
  input_ = {};
  return *error_;
}

Status RecordReader::feed(ByteView plaintext) {
  if (error_) return *error_;
  if (!input_.empty())
    return make_error(Errc::invalid_state,
                      "record reader fed before the previous plaintext was drained");
  if (plaintext.empty()) return fail(Errc::protocol_error, "empty transport message");
  if (plaintext.size() > kMaxPlaintext)
    return fail(Errc::protocol_error, "transport plaintext of " + std::to_string(plaintext.size()) +
                                          " bytes exceeds 65519");
  input_ = plaintext;
  rekey_ = false;
  return {};
}

Result<MaybeEnvelope> RecordReader::next() {
  if (error_) return *error_;
  if (delivered_) {
    // The reassembled envelope was handed out by the previous call; free it
    // rather than keep up to max_envelope_ bytes per idle connection.
    Bytes().swap(assembly_);
    delivered_ = false;
  }
  while (!input_.empty()) {
    if (input_.size() < kRecordHeaderSize)
      return fail(Errc::protocol_error, "truncated record header");
    const uint8_t type = input_[0];
    const size_t len = get_u16be(input_.data() + 1);
    if (input_.size() - kRecordHeaderSize < len)
      return fail(Errc::protocol_error,
                  "record body truncated: " + std::to_string(len) + " bytes declared, " +
                      std::to_string(input_.size() - kRecordHeaderSize) + " left");
    ByteView body = input_.subspan(kRecordHeaderSize, len);
    input_ = input_.subspan(kRecordHeaderSize + len);

    switch (static_cast<RecordType>(type)) {
      case RecordType::envelope:
        if (expected_ > 0)
          return fail(Errc::protocol_error, "ENVELOPE record inside a fragmented envelope");
        if (len == 0) return fail(Errc::protocol_error, "empty ENVELOPE record");
        if (len > max_envelope_)
          return fail(Errc::payload_too_large, "envelope of " + std::to_string(len) +
                                                   " bytes exceeds the limit of " +
                                                   std::to_string(max_envelope_));
        return MaybeEnvelope(body);

      case RecordType::fragment_first: {
        if (expected_ > 0)
          return fail(Errc::protocol_error, "FRAGMENT_FIRST record inside a fragmented envelope");
        if (len <= kFragmentTotalSize)
          return fail(Errc::protocol_error,
                      "FRAGMENT_FIRST record without a total and a first chunk");
        const uint32_t total = get_u32be(body.data());
        ByteView chunk = body.subspan(kFragmentTotalSize);
        if (total == 0) return fail(Errc::protocol_error, "fragmented envelope of total size 0");
        // Checked before reserving: the total is only a claim.
        if (total > max_envelope_)
          return fail(Errc::payload_too_large, "envelope of " + std::to_string(total) +
                                                   " bytes exceeds the limit of " +
                                                   std::to_string(max_envelope_));
        if (chunk.size() > total)
          return fail(Errc::protocol_error,
                      "FRAGMENT_FIRST chunk is longer than the envelope's total");
        assembly_.reserve(total);
        assembly_.assign(chunk.begin(), chunk.end());
        expected_ = total;
        break;
      }

      case RecordType::fragment_more:
        if (expected_ == 0)
          return fail(Errc::protocol_error, "FRAGMENT_MORE record without FRAGMENT_FIRST");
        if (len == 0) return fail(Errc::protocol_error, "empty FRAGMENT_MORE record");
        if (len > expected_ - assembly_.size())
          return fail(Errc::protocol_error, "FRAGMENT_MORE overruns the envelope's total of " +
                                                std::to_string(expected_) + " bytes");
        assembly_.insert(assembly_.end(), body.begin(), body.end());
        break;

      case RecordType::rekey:
        if (len != 0) return fail(Errc::protocol_error, "REKEY record with a body");
        if (!input_.empty())
          return fail(Errc::protocol_error, "REKEY record is not the last of its message");
        rekey_ = true;
        continue;

      default:
        return fail(Errc::protocol_error, "unknown record type 0x" + to_hex(ByteView(&type, 1)));
    }

    if (expected_ > 0 && assembly_.size() == expected_) {
      expected_ = 0;
      delivered_ = true;
      return MaybeEnvelope(ByteView(assembly_));
    }
  }
  return MaybeEnvelope{};
}

}  // namespace peernet
