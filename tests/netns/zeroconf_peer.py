#!/usr/bin/python3
# python-zeroconf on the other end of peernetd's DNS-SD, run inside a test's
# network namespace by zeroconf_test.sh:
#
#   zeroconf_peer.py browse --timeout S ID...
#       browse _peernet._tcp until an instance with TXT id=ID has been
#       resolved (SRV, TXT and an address) for every ID; print one line per
#       instance: "found NAME id=ID ADDRESS:PORT". Exit 0 when all were seen,
#       1 at the timeout.
#   zeroconf_peer.py browse-any --timeout S --count N
#       browse _peernet._tcp until N instances are resolved (SRV, TXT and an
#       address), whatever their TXT; print one line per instance:
#       "found NAME server=HOST ADDRESS:PORT txt=KEY=VALUE,...". Exit 0 when
#       N were seen, 1 at the timeout.
#   zeroconf_peer.py register --id ID --port PORT --addr IP --name NAME
#       announce NAME._peernet._tcp.local. (TXT id=ID, SRV to a host of its
#       own at IP) until SIGTERM or SIGINT, then withdraw it; prints
#       "registered" once the announcement is out.
#
# Only Debian's /usr/bin/python3 sees python3-zeroconf.
import argparse
import signal
import socket
import sys
import threading
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

SERVICE = "_peernet._tcp.local."


def browse(timeout: float, wanted: list[str]) -> int:
    zc = Zeroconf(ip_version=IPVersion.V4Only)
    seen: dict[str, str] = {}
    names: set[str] = set()
    lock = threading.Lock()

    def on_change(zeroconf, service_type, name, state_change):
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            with lock:
                names.add(name)

    browser = ServiceBrowser(zc, SERVICE, handlers=[on_change])
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not all(w in seen for w in wanted):
            with lock:
                pending = list(names)
            for name in pending:
                info = zc.get_service_info(SERVICE, name, timeout=1000)
                if info is None or not info.parsed_addresses():
                    continue
                peer = (info.properties or {}).get(b"id")
                if peer is None:
                    continue
                peer = peer.decode()
                line = f"found {name} id={peer} {info.parsed_addresses()[0]}:{info.port}"
                if seen.get(peer) != line:
                    seen[peer] = line
                    print(line, flush=True)
            time.sleep(0.2)
    finally:
        browser.cancel()
        zc.close()
    missing = [w for w in wanted if w not in seen]
    for w in missing:
        print(f"not found: id={w}", file=sys.stderr)
    return 1 if missing else 0


def browse_any(timeout: float, count: int) -> int:
    zc = Zeroconf(ip_version=IPVersion.V4Only)
    names: set[str] = set()
    seen: dict[str, str] = {}
    lock = threading.Lock()

    def on_change(zeroconf, service_type, name, state_change):
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            with lock:
                names.add(name)

    browser = ServiceBrowser(zc, SERVICE, handlers=[on_change])
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and len(seen) < count:
            with lock:
                pending = [n for n in names if n not in seen]
            for name in pending:
                info = zc.get_service_info(SERVICE, name, timeout=1000)
                if info is None or not info.parsed_addresses():
                    continue
                txt = ",".join(
                    k.decode(errors="replace") + ("" if v is None else "=" + v.decode(errors="replace"))
                    for k, v in (info.properties or {}).items()
                )
                seen[name] = f"found {name} server={info.server} {info.parsed_addresses()[0]}:{info.port} txt={txt}"
                print(seen[name], flush=True)
            time.sleep(0.2)
    finally:
        browser.cancel()
        zc.close()
    if len(seen) < count:
        print(f"resolved {len(seen)} of {count} instances", file=sys.stderr)
        return 1
    return 0


def register(peer_id: str, port: int, addr: str, name: str) -> int:
    zc = Zeroconf(ip_version=IPVersion.V4Only)
    info = ServiceInfo(
        SERVICE,
        f"{name}.{SERVICE}",
        port=port,
        properties={"id": peer_id},
        server=f"{name}.local.",
        addresses=[socket.inet_aton(addr)],
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    zc.register_service(info)
    print("registered", flush=True)
    try:
        stop.wait()
    finally:
        zc.unregister_service(info)
        zc.close()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("browse")
    b.add_argument("--timeout", type=float, default=15)
    b.add_argument("ids", nargs="+")
    ba = sub.add_parser("browse-any")
    ba.add_argument("--timeout", type=float, default=15)
    ba.add_argument("--count", type=int, required=True)
    r = sub.add_parser("register")
    r.add_argument("--id", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--addr", required=True)
    r.add_argument("--name", required=True)
    a = ap.parse_args()
    if a.cmd == "browse":
        return browse(a.timeout, a.ids)
    if a.cmd == "browse-any":
        return browse_any(a.timeout, a.count)
    return register(a.id, a.port, a.addr, a.name)


if __name__ == "__main__":
    sys.exit(main())
