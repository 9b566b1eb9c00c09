// peernetctl id: this daemon's peer id, to give to the other side for
// pairing, and the fingerprint to compare out of band.
//
//   --json  {"id": "<peer id>", "fingerprint": "xxxx-xxxx-xxxx-xxxx",
//            "public_key": "<64 hex digits>"}
#include "cli.hpp"
#include "proto/peer_id.hpp"

namespace peernet::ctl {

Handler define_id(CLI::App&) {
  return [](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto r = client->identity();
    if (!r) return report(g, io, r.error());
    if (g.json) {
      print_json(io, {{"id", peer_id_text(r->id)},
                      {"fingerprint", r->fingerprint},
                      {"public_key", to_hex(r->id.view())}});
    } else {
      io.out << "peer id:      " << peer_id_text(r->id) << '\n'
             << "fingerprint:  " << r->fingerprint << '\n';
    }
    return 0;
  };
}

}  // namespace peernet::ctl
