// peernetctl id: this daemon's peer id, to give to the other side for
// pairing, and the fingerprint to compare out of band.
//
//   -q, --quiet  only the peer id, for $(peernetctl id -q)
//   --qr         also a QR code of the peernet: URI (id and addresses), for
//                a phone's camera; `peernetctl pair URI` takes the same text
//   --json       {"id": "<peer id>", "fingerprint": "xxxx-xxxx-xxxx-xxxx",
//                 "public_key": "<64 hex digits>", "uri": "peernet:…",
//                 "addrs": ["host:port", …]}
#include <qrencode.h>

#include <memory>

#include "cli.hpp"
#include "proto/peer_id.hpp"

namespace peernet::ctl {
namespace {

// peernet:ID?addr=HOST:PORT&addr=… (pair_uri.hpp reads it back).
std::string uri_of(const control::IdentityResult& r) {
  std::string uri = "peernet:" + peer_id_text(r.id);
  char sep = '?';
  if (r.addrs)
    for (const auto& a : *r.addrs) {
      uri += sep;
      uri += "addr=" + a;
      sep = '&';
    }
  return uri;
}

// The QR code of `text` in a terminal: two modules per character cell with
// the half blocks, dark on light, a quiet zone of two modules around it.
Status print_qr(std::ostream& out, const std::string& text) {
  QRcode* qr = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (qr == nullptr) return make_error(Errc::internal, "the QR code could not be made");
  const int quiet = 2, size = qr->width + 2 * quiet;
  auto dark = [&](int x, int y) {
    x -= quiet;
    y -= quiet;
    if (x < 0 || y < 0 || x >= qr->width || y >= qr->width) return false;
    return (qr->data[y * qr->width + x] & 1) != 0;
  };
  // Light modules are drawn (as block characters), dark ones left blank,
  // which reads right on a dark terminal background and most light ones.
  for (int y = 0; y < size; y += 2) {
    for (int x = 0; x < size; ++x) {
      bool top = !dark(x, y), bottom = y + 1 < size ? !dark(x, y + 1) : true;
      out << (top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ");
    }
    out << '\n';
  }
  QRcode_free(qr);
  return {};
}

}  // namespace

Handler define_id(CLI::App& sub) {
  auto quiet = std::make_shared<bool>(false);
  auto qr = std::make_shared<bool>(false);
  sub.add_flag("-q,--quiet", *quiet, "Print only the peer id");
  sub.add_flag("--qr", *qr, "Also draw a QR code of the peernet: URI (id and addresses)");
  return [quiet, qr](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto r = client->request<control::method::Identity>({});
    if (!r) return report(g, io, r.error());
    if (g.json) {
      print_json(io, {{"id", peer_id_text(r->id)},
                      {"fingerprint", r->fingerprint},
                      {"public_key", to_hex(r->id.view())},
                      {"uri", uri_of(*r)},
                      {"addrs", r->addrs.value_or(std::vector<std::string>{})}});
      return 0;
    }
    if (*quiet) {
      io.out << peer_id_text(r->id) << '\n';
      return 0;
    }
    io.out << "peer id:      " << peer_id_text(r->id) << '\n'
           << "fingerprint:  " << r->fingerprint << '\n';
    if (*qr) {
      if (auto st = print_qr(io.out, uri_of(*r)); !st) return report(g, io, st.error());
      io.out << uri_of(*r) << '\n';
    }
    return 0;
  };
}

}  // namespace peernet::ctl
