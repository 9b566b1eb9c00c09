#include "proto/dns/name.hpp"

#include <cassert>

namespace peernet {
namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_label(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

Status check_labels(const std::vector<std::string>& labels) {
  size_t wire = 1;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].empty())
      return make_error(Errc::bad_request, "label " + std::to_string(i + 1) + " is empty");
    if (labels[i].size() > kMaxDnsLabel)
      return make_error(Errc::bad_request, "label " + std::to_string(i + 1) + " is " +
                                               std::to_string(labels[i].size()) +
                                               " bytes, above 63");
    wire += 1 + labels[i].size();
  }
  if (wire > kMaxDnsName)
    return make_error(Errc::bad_request,
                      "name of " + std::to_string(wire) + " bytes in wire form exceeds 255");
  return {};
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Error wire_error(std::string message) { return make_error(Errc::protocol_error, std::move(message)); }

std::string at(size_t offset) { return " at offset " + std::to_string(offset); }

}  // namespace

Result<DnsName> DnsName::from_labels(std::vector<std::string> labels) {
  PEERNET_TRY_VOID(check_labels(labels));
  DnsName name;
  name.labels_ = std::move(labels);
  return name;
}

Result<DnsName> DnsName::parse(std::string_view text) {
  if (text == ".") return DnsName();
  auto bad = [&](std::string_view why) {
    return make_error(Errc::bad_request, "name \"" + std::string(text) + "\": " + std::string(why));
  };
  std::vector<std::string> labels;
  std::string label;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (label.empty()) return bad("empty label");
      labels.push_back(std::move(label));
      label.clear();
    } else if (c != '\\') {
      label += c;
    } else if (i + 1 == text.size()) {
      return bad("ends with a lone backslash");
    } else if (!is_digit(text[i + 1])) {
      label += text[++i];
    } else {
      if (i + 3 >= text.size() || !is_digit(text[i + 2]) || !is_digit(text[i + 3]))
        return bad("\\DDD needs three decimal digits");
      const int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
      if (v > 255) return bad("\\DDD above 255");
      label += static_cast<char>(v);
      i += 3;
    }
  }
  // A final dot closed the last label already; otherwise close it here.
  if (!label.empty()) labels.push_back(std::move(label));
  auto name = from_labels(std::move(labels));
  if (!name.ok()) return bad(name.error().message);
  return name;
}

size_t DnsName::wire_size() const {
  size_t n = 1;
  for (const auto& l : labels_) n += 1 + l.size();
  return n;
}

Bytes DnsName::wire() const {
  Bytes out;
  out.reserve(wire_size());
  for (const auto& l : labels_) {
    out.push_back(static_cast<uint8_t>(l.size()));
    out.insert(out.end(), l.begin(), l.end());
  }
  out.push_back(0);
  return out;
}

std::string DnsName::to_string() const {
  if (labels_.empty()) return ".";
  std::string s;
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (i > 0) s += '.';
    for (char c : labels_[i]) {
      const auto b = static_cast<uint8_t>(c);
      if (c == '.' || c == '\\') {
        s += '\\';
        s += c;
      } else if (b < 0x20 || b == 0x7f) {
        s += '\\';
        s += static_cast<char>('0' + b / 100);
        s += static_cast<char>('0' + b / 10 % 10);
        s += static_cast<char>('0' + b % 10);
      } else {
        s += c;
      }
    }
  }
  return s;
}

Result<DnsName> DnsName::prepend(std::string_view label) const {
  std::vector<std::string> labels;
  labels.reserve(labels_.size() + 1);
  labels.emplace_back(label);
  labels.insert(labels.end(), labels_.begin(), labels_.end());
  return from_labels(std::move(labels));
}

DnsName DnsName::parent() const {
  DnsName p;
  if (!labels_.empty()) p.labels_.assign(labels_.begin() + 1, labels_.end());
  return p;
}

bool DnsName::ends_with(const DnsName& suffix) const {
  if (suffix.labels_.size() > labels_.size()) return false;
  const size_t skip = labels_.size() - suffix.labels_.size();
  for (size_t i = 0; i < suffix.labels_.size(); ++i)
    if (!same_label(labels_[skip + i], suffix.labels_[i])) return false;
  return true;
}

bool operator==(const DnsName& a, const DnsName& b) {
  return a.labels_.size() == b.labels_.size() && a.ends_with(b);
}

size_t DnsNameHash::operator()(const DnsName& name) const {
  // FNV-1a over the case-folded wire form.
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](char c) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  };
  for (const auto& l : name.labels()) {
    mix(static_cast<char>(l.size()));
    for (char c : l) mix(ascii_lower(c));
  }
  return static_cast<size_t>(h);
}

Result<DnsName> read_dns_name(ByteView packet, size_t& offset, size_t limit) {
  assert(limit <= packet.size());
  std::vector<std::string> labels;
  size_t pos = offset;
  size_t run_start = offset;  // where the run of labels being read began
  size_t end = 0;             // just past the name's own bytes, once known
  bool jumped = false;
  size_t wire = 1;
  size_t jumps = 0;
  for (;;) {
    if (pos >= limit) return wire_error("name truncated" + at(pos));
    const uint8_t b = packet[pos];
    if ((b & 0xC0) == 0xC0) {
      if (pos + 1 >= limit) return wire_error("compression pointer truncated" + at(pos));
      const size_t target = (size_t{b & 0x3Fu} << 8) | packet[pos + 1];
      if (target >= run_start)
        return wire_error("compression pointer" + at(pos) + " to offset " +
                          std::to_string(target) + " does not point back before offset " +
                          std::to_string(run_start));
      if (++jumps > kMaxDnsPointerJumps)
        return wire_error("more than " + std::to_string(kMaxDnsPointerJumps) +
                          " compression pointers in one name");
      if (!jumped) end = pos + 2;
      jumped = true;
      // The run we jump to must end before the run we leave began.
      limit = run_start;
      run_start = pos = target;
      continue;
    }
    if (b & 0xC0)
      return wire_error("label type 0x" + to_hex(ByteView(&b, 1)) + at(pos) +
                        " is reserved (labels are 0..63 bytes)");
    if (b == 0) {
      if (!jumped) end = pos + 1;
      break;
    }
    if (b > limit - pos - 1)
      return wire_error("label of " + std::to_string(b) + " bytes" + at(pos) + " is truncated");
    wire += 1 + b;
    if (wire > kMaxDnsName) return wire_error("name longer than 255 bytes" + at(pos));
    labels.emplace_back(reinterpret_cast<const char*>(packet.data() + pos + 1), b);
    pos += 1 + b;
  }
  auto name = DnsName::from_labels(std::move(labels));
  assert(name.ok());  // every label and the total were checked above
  offset = end;
  return name;
}

void DnsNameWriter::write(Bytes& message, const DnsName& name) {
  const Bytes wire = name.wire();
  const std::string_view w(reinterpret_cast<const char*>(wire.data()), wire.size());
  // Offsets of each label's tail within `w`.
  std::vector<size_t> tail;
  for (size_t off = 0; wire[off] != 0; off += 1 + wire[off]) tail.push_back(off);

  // The longest tail written before: the first in label order that is known.
  size_t i = 0;
  Tails::iterator found = tails_.end();
  for (; i < tail.size(); ++i) {
    found = tails_.find(w.substr(tail[i]));
    if (found != tails_.end()) break;
  }

  const size_t start = message.size();
  const size_t own = i < tail.size() ? tail[i] : wire.size();
  message.insert(message.end(), wire.begin(), wire.begin() + static_cast<ptrdiff_t>(own));
  if (found != tails_.end()) {
    message.push_back(static_cast<uint8_t>(0xC0 | (found->second >> 8)));
    message.push_back(static_cast<uint8_t>(found->second));
  }
  for (size_t j = 0; j < i; ++j) {
    const size_t at_offset = start + tail[j];
    if (at_offset > 0x3FFF) break;  // beyond what a pointer can reach
    auto [it, added] = tails_.emplace(std::string(w.substr(tail[j])), uint16_t(at_offset));
    if (added) order_.emplace_back(at_offset, it);
  }
}

void DnsNameWriter::rollback(size_t size) {
  while (!order_.empty() && order_.back().first >= size) {
    tails_.erase(order_.back().second);
    order_.pop_back();
  }
}

}  // namespace peernet
