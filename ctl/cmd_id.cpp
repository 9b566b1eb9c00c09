// peernetctl id: this daemon's peer id, to give to the other side for
// pairing, and the fingerprint to compare out of band.
//
//   -q, --quiet  only the peer id, for $(peernetctl id -q)
//   --json       {"id": "<peer id>", "fingerprint": "xxxx-xxxx-xxxx-xxxx",
//                 "public_key": "<64 hex digits>"}
#include <memory>

#include "cli.hpp"
#include "proto/peer_id.hpp"

namespace peernet::ctl {

Handler define_id(CLI::App& sub) {
  auto quiet = std::make_shared<bool>(false);
  sub.add_flag("-q,--quiet", *quiet, "Print only the peer id");
  return [quiet](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto r = client->request<control::method::Identity>({});
    if (!r) return report(g, io, r.error());
    if (g.json) {
      print_json(io, {{"id", peer_id_text(r->id)},
                      {"fingerprint", r->fingerprint},
                      {"public_key", to_hex(r->id.view())}});
    } else if (*quiet) {
      io.out << peer_id_text(r->id) << '\n';
    } else {
      io.out << "peer id:      " << peer_id_text(r->id) << '\n'
             << "fingerprint:  " << r->fingerprint << '\n';
    }
    return 0;
  };
}

}  // namespace peernet::ctl
