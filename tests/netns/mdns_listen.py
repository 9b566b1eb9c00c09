#!/usr/bin/python3
"""A raw mDNS listener for the netns tests: binds 0.0.0.0:5353 and
[::]:5353 (SO_REUSEADDR), joins 224.0.0.251 and ff02::fb on one interface,
asks for _peernet._tcp.local every second (so that responders answer) and
writes one JSON line per datagram received:

  {"src": "198.18.0.2", "qr": true,
   "an": [[name, type, data, ttl], ...], "ns": [...], "ar": [...]}

type is "A", "AAAA", "PTR", "SRV", "TXT", "NSEC" or the number; data is the
address, the target name, "port target", the TXT strings joined by " | ".

With --only-interface it writes only what arrived on INTERFACE (by the
arrival interface of each datagram, IP_PKTINFO / IPV6_PKTINFO: a socket
that joined a group on one interface also gets the group's datagrams from
other interfaces the host joined it on) and its own queries are not looped
back to the host (IP_MULTICAST_LOOP off), so every line is a datagram
another sender put on that link.

  mdns_listen.py INTERFACE OUTPUT --timeout SECONDS [--only-interface]
"""
import argparse
import ipaddress
import json
import select
import socket
import struct
import time

TYPES = {1: "A", 12: "PTR", 16: "TXT", 28: "AAAA", 33: "SRV", 47: "NSEC"}


def read_name(data, off):
    labels, jumped, end, hops = [], False, off, 0
    while True:
        n = data[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((n & 0x3F) << 8) | data[off + 1]
            jumped = True
            hops += 1
            if hops > 64:
                raise ValueError("pointer loop")
            continue
        off += 1
        if n == 0:
            break
        labels.append(data[off:off + n].decode("utf-8", "replace"))
        off += n
    return ".".join(labels), (end if jumped else off)


def parse(data):
    _, flags, qd, an, ns, ar = struct.unpack("!6H", data[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(data, off)
        off += 4
    out = {"qr": bool(flags & 0x8000)}
    for key, count in (("an", an), ("ns", ns), ("ar", ar)):
        records = []
        for _ in range(count):
            name, off = read_name(data, off)
            rtype, _, ttl, rdlen = struct.unpack("!HHIH", data[off:off + 10])
            off += 10
            rd = data[off:off + rdlen]
            if rtype == 1:
                value = str(ipaddress.IPv4Address(rd))
            elif rtype == 28:
                value = str(ipaddress.IPv6Address(rd))
            elif rtype == 12:
                value = read_name(data, off)[0]
            elif rtype == 33:
                value = "%d %s" % (struct.unpack("!H", rd[4:6])[0], read_name(data, off + 6)[0])
            elif rtype == 16:
                strings, i = [], 0
                while i < len(rd):
                    strings.append(rd[i + 1:i + 1 + rd[i]].decode("utf-8", "replace"))
                    i += 1 + rd[i]
                value = " | ".join(strings)
            else:
                value = rd.hex()
            records.append([name, TYPES.get(rtype, rtype), value, ttl])
            off += rdlen
        out[key] = records
    return out


def query():
    q = struct.pack("!6H", 0, 0, 1, 0, 0, 0)
    for label in ("_peernet", "_tcp", "local"):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 12, 1)


def arrival(ancdata):
    """The interface index in IP_PKTINFO / IPV6_PKTINFO, or None."""
    for level, kind, data in ancdata:
        if level == socket.IPPROTO_IP and kind == 8 and len(data) >= 4:
            return struct.unpack("=i", data[:4])[0]
        if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO and len(data) >= 20:
            return struct.unpack("=I", data[16:20])[0]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("interface")
    ap.add_argument("output")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--only-interface", action="store_true")
    args = ap.parse_args()
    index = socket.if_nametoindex(args.interface)
    v4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    v4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    v4.bind(("0.0.0.0", 5353))
    v4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                  struct.pack("=4s4si", socket.inet_aton("224.0.0.251"), socket.inet_aton("0.0.0.0"), index))
    v4.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                  struct.pack("=4s4si", socket.inet_aton("0.0.0.0"), socket.inet_aton("0.0.0.0"), index))
    v4.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    v6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    v6.bind(("::", 5353))
    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                  socket.inet_pton(socket.AF_INET6, "ff02::fb") + struct.pack("=I", index))
    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    if args.only_interface:
        # IP_PKTINFO is 8 in <linux/in.h>; Python may not name it.
        v4.setsockopt(socket.IPPROTO_IP, 8, 1)
        v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        v4.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
    deadline = time.monotonic() + args.timeout
    next_query = 0.0
    with open(args.output, "a", buffering=1) as out:
        while time.monotonic() < deadline:
            if time.monotonic() >= next_query:
                next_query = time.monotonic() + 1
                for s, to in ((v4, ("224.0.0.251", 5353)), (v6, ("ff02::fb", 5353, 0, index))):
                    try:
                        s.sendto(query(), to)
                    except OSError:
                        pass
            ready, _, _ = select.select([v4, v6], [], [], 0.2)
            for s in ready:
                data, anc, _, src = s.recvmsg(9216, 256)
                if args.only_interface and arrival(anc) != index:
                    continue
                try:
                    m = parse(data)
                except (ValueError, IndexError, struct.error):
                    continue
                m["src"] = src[0].split("%")[0]
                out.write(json.dumps(m) + "\n")


if __name__ == "__main__":
    main()
