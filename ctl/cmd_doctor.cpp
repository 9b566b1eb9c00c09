// peernetctl doctor [PEER]: why a peer is not found, one check a line.
//
// Each check prints a verdict (ok, warn, fail, skip), what was found and,
// unless ok, a fix. The daemon's side comes from the control method doctor
// (listeners, discovery settings, interfaces, mDNS groups joined); this
// file adds what only an outside view can tell: who else holds the listen
// port, whether mDNS queries sent from here get answers, and the firewall
// rules (nft -j, iptables-save; root only) that drop 5353/udp or the
// listen port. With PEER: trusted, seen, refusing us, its state, and a TCP
// connect to each of its addresses.
//
//   --json  {"checks": [{"name", "verdict", "detail", "fix"}, ...]}
//   exit    0 when no check failed, 1 otherwise (kExitError)
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "exit_code.hpp"
#include "firewall.hpp"
#include "proto/dns/message.hpp"
#include "proto/dns/sd.hpp"
#include "proto/endpoint.hpp"
#include "proto/peer_id.hpp"
#include "table.hpp"

namespace peernet::ctl {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint16_t kDefaultListenPort = 7469;
constexpr int kProbeMs = 1500;
constexpr int kConnectMs = 1500;

struct Check {
  std::string name, verdict, detail, fix;
};

struct Checks {
  std::vector<Check> list;
  void add(std::string name, std::string verdict, std::string detail, std::string fix = {}) {
    list.push_back({std::move(name), std::move(verdict), std::move(detail), std::move(fix)});
  }
};

std::string joined(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

// ---- who listens on a TCP port (/proc/net/tcp, /proc/net/tcp6) ----

struct Listener {
  std::string address;  // "0.0.0.0:7469"
  unsigned long inode = 0;
};

std::vector<Listener> tcp_listeners(uint16_t port) {
  std::vector<Listener> out;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream w(line);
      std::string sl, local, remote, state, queues, timer, retr, uid, timeout;
      unsigned long inode = 0;
      if (!(w >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode)) continue;
      if (state != "0A") continue;  // TCP_LISTEN
      auto colon = local.find(':');
      if (colon == std::string::npos) continue;
      if (std::stoul(local.substr(colon + 1), nullptr, 16) != port) continue;
      std::string hex = local.substr(0, colon);
      std::string host;
      if (hex.size() == 8) {
        in_addr a{};
        a.s_addr = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
        char buf[INET_ADDRSTRLEN];
        host = inet_ntop(AF_INET, &a, buf, sizeof buf);
      } else if (hex.size() == 32) {
        in6_addr a{};
        for (int i = 0; i < 4; ++i) {
          uint32_t word = static_cast<uint32_t>(std::stoul(hex.substr(i * 8, 8), nullptr, 16));
          std::memcpy(&a.s6_addr[i * 4], &word, 4);
        }
        char buf[INET6_ADDRSTRLEN];
        host = "[" + std::string(inet_ntop(AF_INET6, &a, buf, sizeof buf)) + "]";
      }
      out.push_back({host + ":" + std::to_string(port), inode});
    }
  }
  return out;
}

// The process holding socket `inode`: "pid 123 (python3)", or "" when
// /proc does not tell (another user's process without root).
std::string socket_owner(unsigned long inode) {
  std::string want = "socket:[" + std::to_string(inode) + "]";
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  if (!proc) return {};
  while (dirent* e = readdir(proc.get())) {
    std::string pid = e->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string fds = "/proc/" + pid + "/fd";
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(fds.c_str()), closedir);
    if (!dir) continue;
    while (dirent* f = readdir(dir.get())) {
      char target[64];
      ssize_t n = readlink((fds + "/" + f->d_name).c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      if (std::string_view(target, static_cast<size_t>(n)) != want) continue;
      std::ifstream comm("/proc/" + pid + "/comm");
      std::string name;
      std::getline(comm, name);
      return "pid " + pid + " (" + name + ")";
    }
  }
  return {};
}

std::string owner_pid(const std::string& owner) {
  // "pid 123 (x)" -> "123"
  if (!owner.starts_with("pid ")) return {};
  return owner.substr(4, owner.find(' ', 4) - 4);
}

// ---- mDNS probe ----

struct Answer {
  std::string from;
  bool self = false;
};

// Sends a PTR query for _peernet._tcp.local to 224.0.0.251:5353 on each
// discovery interface (three times) from an ephemeral port: a legacy unicast query (RFC
// 6762 §6.7), which responders answer to that port directly, with the
// query's id. Collects who answered within kProbeMs, so that announcements
// and answers to other queries are not counted.
Result<std::vector<std::string>> mdns_probe(const std::vector<control::DoctorInterface>& ifaces) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::io_error, std::string("socket: ") + strerror(errno));
  std::unique_ptr<int, void (*)(int*)> guard(&fd, [](int* f) { ::close(*f); });
  unsigned char ttl = 255;
  setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
  auto name = DnsName::parse("_peernet._tcp.local");
  if (!name) return name.error();
  DnsMessage q;
  q.header.id = static_cast<uint16_t>(::getpid() ^ static_cast<unsigned>(Clock::now().time_since_epoch().count()));
  q.questions.push_back(DnsQuestion{*name, DnsType::ptr, kDnsClassIn, false});
  Bytes packet = encode_dns(q);
  sockaddr_in group{};
  group.sin_family = AF_INET;
  group.sin_port = htons(5353);
  inet_pton(AF_INET, "224.0.0.251", &group.sin_addr);
  // Sent three times, kProbeMs / 3 apart: a responder that is probing its
  // name (after a start or a network change, about 1 s) answers nothing.
  auto send_all = [&]() {
    size_t sent = 0;
    for (const auto& i : ifaces) {
      if (!i.used || i.ipv4.empty()) continue;
      ip_mreqn out{};
      out.imr_ifindex = static_cast<int>(if_nametoindex(i.name.c_str()));
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &out, sizeof out);
      if (::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&group), sizeof group) > 0)
        ++sent;
    }
    return sent;
  };
  if (send_all() == 0) return make_error(Errc::io_error, "no discovery interface with an IPv4 address to send on");
  int resends = 2;
  auto next_send = Clock::now() + std::chrono::milliseconds(kProbeMs / 3);
  std::set<std::string> from;
  auto deadline = Clock::now() + std::chrono::milliseconds(kProbeMs);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    if (resends > 0 && Clock::now() >= next_send) {
      send_all();
      --resends;
      next_send += std::chrono::milliseconds(kProbeMs / 3);
    }
    auto until_send = std::chrono::duration_cast<std::chrono::milliseconds>(next_send - Clock::now()).count();
    if (resends > 0) left = std::max<int64_t>(0, std::min<int64_t>(left, until_send));
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    uint8_t buf[9000];
    sockaddr_in src{};
    socklen_t len = sizeof src;
    ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&src), &len);
    if (n <= 0) continue;
    auto msg = parse_dns(ByteView(buf, static_cast<size_t>(n)));
    if (!msg || !msg->header.qr || msg->header.id != q.header.id) continue;
    bool ours = false;
    for (const auto& r : msg->answers)
      if (r.name == *name && r.type() == DnsType::ptr) ours = true;
    if (!ours) continue;
    char text[INET_ADDRSTRLEN];
    from.insert(inet_ntop(AF_INET, &src.sin_addr, text, sizeof text));
  }
  return std::vector<std::string>(from.begin(), from.end());
}

// ---- firewall ----

Result<std::string> run_read(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen((command + " 2>/dev/null").c_str(), "r"), ::pclose);
  if (!p) return make_error(Errc::io_error, command + ": " + strerror(errno));
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) {
    out.append(buf, n);
    if (out.size() > (64u << 20)) return make_error(Errc::io_error, command + ": more than 64 MiB of output");
  }
  int rc = ::pclose(p.release());
  if (rc != 0) return make_error(Errc::io_error, command + " failed (status " + std::to_string(rc) + ")");
  return out;
}

bool have(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

void check_firewall(Checks& c, const std::vector<uint16_t>& tcp_ports) {
  if (::geteuid() != 0) {
    c.add("firewall", "skip", "reading the firewall needs root", "run as root to read the firewall");
    return;
  }
  std::vector<FirewallRule> found;
  std::vector<std::string> read;
  auto collect = [&](auto&& drops) {
    for (auto& r : drops) found.push_back(std::move(r));
  };
  if (have("nft")) {
    auto text = run_read("nft -j list ruleset");
    if (text) {
      auto j = nlohmann::json::parse(*text, nullptr, false);
      if (!j.is_discarded()) {
        read.push_back("nft");
        collect(nft_drops(j, "udp", 5353));
        for (uint16_t p : tcp_ports) collect(nft_drops(j, "tcp", p));
      }
    }
  }
  for (const char* tool : {"iptables-save", "ip6tables-save"}) {
    if (!have(tool)) continue;
    auto text = run_read(tool);
    if (!text) continue;
    read.push_back(tool);
    collect(iptables_drops(*text, "udp", 5353, tool));
    for (uint16_t p : tcp_ports) collect(iptables_drops(*text, "tcp", p, tool));
  }
  if (read.empty()) {
    c.add("firewall", "skip", "neither nft nor iptables-save could be run", "install nftables to read the firewall");
    return;
  }
  std::string ports = "5353/udp";
  for (uint16_t p : tcp_ports) ports += ", " + std::to_string(p) + "/tcp";
  if (found.empty()) {
    c.add("firewall", "ok", "no rule drops " + ports + " (read: " + joined(read) + ")");
    return;
  }
  std::vector<std::string> rules;
  for (const auto& r : found) rules.push_back(r.source + " table " + r.table + " chain " + r.chain + ": " + r.rule);
  c.add("firewall", "fail", "a rule drops " + ports + ": " + joined(rules, "; "),
        "delete the rule, or accept 5353/udp (mDNS) and the listen port before it");
}

// ---- peer ----

bool tcp_connects(const std::string& address, std::string& why) {
  auto ep = Endpoint::parse(address);
  if (!ep || !ep->is_numeric()) {
    why = "not a numeric address";
    return false;
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (auto* s4 = reinterpret_cast<sockaddr_in*>(&ss); inet_pton(AF_INET, ep->host.c_str(), &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(ep->port);
    len = sizeof *s4;
  } else {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    std::string host = ep->host;
    auto pct = host.find('%');
    if (pct != std::string::npos) {
      s6->sin6_scope_id = if_nametoindex(host.substr(pct + 1).c_str());
      host.resize(pct);
    }
    if (inet_pton(AF_INET6, host.c_str(), &s6->sin6_addr) != 1) {
      why = "not an IP address";
      return false;
    }
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(ep->port);
    len = sizeof *s6;
    family = AF_INET6;
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    why = strerror(errno);
    return false;
  }
  std::unique_ptr<int, void (*)(int*)> guard(&fd, [](int* f) { ::close(*f); });
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return true;
  if (errno != EINPROGRESS) {
    why = strerror(errno);
    return false;
  }
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, kConnectMs) <= 0) {
    why = "no answer within " + std::to_string(kConnectMs) + " ms";
    return false;
  }
  int err = 0;
  socklen_t el = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
  if (err != 0) {
    why = strerror(err);
    return false;
  }
  return true;
}

void check_peer(Checks& c, Client& client, const std::string& given) {
  auto peers = client.request<control::method::Peers>({true});
  if (!peers) {
    c.add("peer", "fail", "peers: " + peers.error().describe());
    return;
  }
  const control::PeerInfo* p = nullptr;
  for (const auto& info : *peers)
    if (peer_named(given, info.id, info.name) || (info.host && *info.host == given)) {
      p = &info;
      break;
    }
  if (!p) {
    c.add("peer", "fail", given + " is neither trusted nor seen on the LAN",
          "check the name (peernetctl peers --all); on " + given + ": peernetctl doctor");
    return;
  }
  std::string label = p->name.value_or(p->host.value_or(peer_id_text(p->id).substr(0, 7)));
  if (p->trusted)
    c.add("peer.trusted", "ok", label + " is trusted");
  else
    c.add("peer.trusted", "fail", label + " is seen but not trusted",
          "peernetctl pair " + peer_id_text(p->id).substr(0, 7));
  if (p->last_seen)
    c.add("peer.seen", "ok", label + " was seen " + format_ago(p->last_seen) +
                                 (p->addrs.empty() ? "" : " at " + joined(p->addrs)));
  else
    c.add("peer.seen", "warn", label + " was never seen on the LAN (mDNS, broadcast)",
          "see the discovery checks above, or give its address: peernetctl pair ID --addr HOST:PORT");
  if (p->last_error && *p->last_error == "untrusted_peer")
    c.add("peer.refuses", "fail", label + " refuses this box (last close reason: untrusted_peer)",
          label + " does not trust this box: run `peernetctl pair` there");
  std::string state(control::to_string(p->state));
  if (p->state == control::PeerState::online)
    c.add("peer.state", "ok", label + " is online" + (p->session ? " via " + p->session->remote : ""));
  else
    c.add("peer.state", "warn",
          label + " is " + state + (p->last_error ? " (last error: " + *p->last_error + ")" : ""),
          "peernetctl show " + label);
  if (p->addrs.empty()) {
    c.add("peer.reachable", p->trusted ? "warn" : "skip", "no address known for " + label);
    return;
  }
  std::vector<std::string> ok, bad;
  for (const auto& a : p->addrs) {
    std::string why;
    if (tcp_connects(a, why))
      ok.push_back(a);
    else
      bad.push_back(a + " (" + why + ")");
  }
  if (!ok.empty())
    c.add("peer.reachable", "ok", "TCP connect succeeds to " + joined(ok) + (bad.empty() ? "" : "; fails to " + joined(bad)));
  else
    c.add("peer.reachable", "fail", "no TCP connect succeeds: " + joined(bad),
          "check that peernetd runs on " + label + " and that no firewall drops its port");
}

}  // namespace

Handler define_doctor(CLI::App& sub) {
  auto peer = std::make_shared<std::string>();
  auto ports = std::make_shared<std::vector<uint16_t>>();
  sub.add_option("PEER", *peer, "Also check this peer: alias, id prefix or the name it announces");
  sub.add_option("--port", *ports,
                 "The daemon's listen port, to look for another process holding it when the daemon does not answer "
                 "(default 7469)");
  return [peer, ports](const Globals& g, Io& io) {
    Checks c;
    std::string sock = socket_path(g);
    auto client = open_client(g);
    std::optional<control::DoctorResult> d;
    if (client) {
      auto r = client->request<control::method::Doctor>({});
      if (r) d = std::move(*r);
      else
        c.add("daemon", "fail", "the daemon at " + sock + " does not know doctor: " + r.error().describe(),
              "upgrade peernetd");
    }
    if (!client) {
      c.add("daemon", "fail", "nothing answers at " + sock + ": " + client.error().describe(),
            "start peernetd (systemctl start peernetd; its log says why it stopped) or pass --socket");
    } else if (d) {
      c.add("daemon", "ok", "peernetd (pid " + std::to_string(d->pid) + ") answers at " + sock);
    }

    // Listen port and who else holds it.
    std::vector<uint16_t> tcp_ports = *ports;
    if (d) {
      tcp_ports.clear();
      for (const auto& a : d->listening)
        if (auto e = Endpoint::parse(a); e && std::find(tcp_ports.begin(), tcp_ports.end(), e->port) == tcp_ports.end())
          tcp_ports.push_back(e->port);
      if (d->listening.empty())
        c.add("listen", "warn", "listening on nothing (network.listen = [" + joined(d->listen) + "])",
              "set network.listen (e.g. [\"[::]:7469\"]) so that peers can dial this box");
      else
        c.add("listen", "ok", "listening on " + joined(d->listening));
    } else if (tcp_ports.empty()) {
      tcp_ports.push_back(kDefaultListenPort);
    }
    for (uint16_t port : tcp_ports) {
      std::vector<std::string> others;
      for (const Listener& l : tcp_listeners(port)) {
        std::string owner = socket_owner(l.inode);
        if (d && owner_pid(owner) == std::to_string(d->pid)) continue;
        if (d && owner.empty()) continue;  // cannot tell: assume the daemon's own
        others.push_back(l.address + (owner.empty() ? "" : " by " + owner));
      }
      if (!others.empty())
        c.add("port", "fail",
              "port " + std::to_string(port) + "/tcp is held by another process: " + joined(others) +
                  (d ? "" : "; peernetd cannot bind it"),
              "stop that process, or give peernetd another port in network.listen");
      else if (!d)
        c.add("port", "ok", "no other process listens on port " + std::to_string(port) + "/tcp");
    }

    if (d) {
      // Discovery settings.
      std::string on = std::string("mdns ") + (d->mdns ? (d->mdns_running ? "on" : "on but not running") : "off") +
                       ", broadcast " +
                       (d->broadcast ? (d->broadcast_running ? "on (port " + std::to_string(d->broadcast_port) + "/udp)"
                                                             : std::string("on but not running"))
                                     : std::string("off"));
      if (!d->mdns && !d->broadcast)
        c.add("discovery", "warn", on + ": peers are found only at their configured addresses",
              "set discovery.mdns = true in peernetd.toml");
      else if ((d->mdns && !d->mdns_running) || (d->broadcast && !d->broadcast_running))
        c.add("discovery", "fail", on, "see peernetd's log for why discovery did not start (port 5353/udp taken?)");
      else
        c.add("discovery", "ok", on);

      std::vector<std::string> used, excluded;
      for (const auto& i : d->interfaces) {
        if (i.used)
          used.push_back(i.name);
        else
          excluded.push_back(i.name + " (" + i.excluded.value_or("excluded") + ")");
      }
      std::string detail = "used: " + (used.empty() ? std::string("none") : joined(used)) +
                           (excluded.empty() ? "" : "; excluded: " + joined(excluded)) +
                           (d->only.empty() ? "" : "; discovery.interfaces = [" + joined(d->only) + "]");
      if (used.empty())
        c.add("interfaces", "fail", detail,
              d->only.empty() ? "bring up a LAN interface" : "fix discovery.interfaces in peernetd.toml");
      else
        c.add("interfaces", "ok", detail);

      if (d->mdns && d->mdns_running) {
        std::vector<std::string> joined_on, missing;
        for (const auto& i : d->interfaces) {
          if (!i.used) continue;
          if (!i.ipv4.empty()) (i.mdns_ipv4 ? joined_on : missing).push_back(i.name + " 224.0.0.251");
          if (!i.ipv6.empty()) (i.mdns_ipv6 ? joined_on : missing).push_back(i.name + " ff02::fb");
        }
        if (!missing.empty())
          c.add("multicast", "warn", "not joined: " + joined(missing) +
                                         (joined_on.empty() ? "" : "; joined: " + joined(joined_on)),
                "see peernetd's log (mDNS join errors); the interface may lack multicast");
        else
          c.add("multicast", "ok", "joined: " + (joined_on.empty() ? std::string("none") : joined(joined_on)));

        auto answers = mdns_probe(d->interfaces);
        if (!answers) {
          c.add("mdns.probe", "skip", "could not probe: " + answers.error().describe());
        } else {
          std::set<std::string> own;
          for (const auto& i : d->interfaces) own.insert(i.ipv4.begin(), i.ipv4.end());
          std::vector<std::string> others, self;
          for (const auto& a : *answers) (own.count(a) ? self : others).push_back(a);
          std::string query = "a query for _peernet._tcp.local sent on the discovery interfaces";
          if (!others.empty() && !self.empty())
            c.add("mdns.probe", "ok", "answers to " + query + " from " + joined(others) + " and this box");
          else if (!others.empty())
            c.add("mdns.probe", "warn",
                  "answers to " + query + " from " + joined(others) +
                      ", but this box's peernetd did not answer: mDNS (5353/udp) to this box is dropped here",
                  "accept 5353/udp from the LAN (224.0.0.251, ff02::fb); run as root to see the rule");
          else if (!self.empty())
            c.add("mdns.probe", "warn",
                  "only this box answered " + query + ": no other peernetd answered within 1.5 s",
                  "check that peernetd runs on the other box and that no firewall there drops 5353/udp "
                  "(peernetctl doctor there)");
          else
            c.add("mdns.probe", "fail",
                  "nobody answered " + query + ", not even this box's peernetd: mDNS is dropped here",
                  "look for a firewall rule dropping 5353/udp (run as root: peernetctl doctor)");
        }
      } else {
        c.add("mdns.probe", "skip", "mDNS is off");
      }
    }

    check_firewall(c, tcp_ports);

    if (!peer->empty()) {
      if (client && d)
        check_peer(c, *client, *peer);
      else
        c.add("peer", "skip", "the daemon does not answer", "start peernetd first");
    }

    bool failed = false;
    for (const auto& ch : c.list) failed = failed || ch.verdict == "fail";
    if (g.json) {
      auto arr = nlohmann::ordered_json::array();
      for (const auto& ch : c.list)
        arr.push_back({{"name", ch.name},
                       {"verdict", ch.verdict},
                       {"detail", ch.detail},
                       {"fix", ch.fix.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(ch.fix)}});
      print_json(io, {{"checks", arr}, {"ok", !failed}});
    } else {
      for (const auto& ch : c.list) {
        io.out << ch.verdict << std::string(5 - std::min<size_t>(ch.verdict.size(), 4), ' ') << ch.name << ": "
               << ch.detail << '\n';
        if (!ch.fix.empty()) io.out << "      fix: " << ch.fix << '\n';
      }
    }
    return failed ? kExitError : kExitOk;
  };
}

}  // namespace peernet::ctl
