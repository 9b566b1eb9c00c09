// peernetctl connect HOST:PORT: dial an address now. Whoever answers there
// must be trusted; the command ends when the session is up or the attempt
// failed.
//
//   --json  {"id": "<peer id>", "fingerprint": "xxxx-xxxx-xxxx-xxxx"}
#include <memory>

#include "cli.hpp"
#include "proto/peer_id.hpp"

namespace peernet::ctl {

Handler define_connect(CLI::App& sub) {
  auto addr = std::make_shared<std::string>();
  sub.add_option("ADDRESS", *addr, "HOST:PORT (IPv6 in brackets: [fe80::1%eth0]:7469)")->required();
  return [addr](const Globals& g, Io& io) {
    auto client = open_client(g);
    if (!client) return report(g, io, client.error());
    auto r = client->request<control::method::Connect>({*addr});
    if (!r) return report(g, io, r.error());
    if (g.json)
      print_json(io, {{"id", peer_id_text(r->id)}, {"fingerprint", fingerprint(r->id)}});
    else
      io.out << "connected to " << peer_id_text(r->id) << " (fingerprint " << fingerprint(r->id) << ")\n";
    return 0;
  };
}

}  // namespace peernet::ctl
