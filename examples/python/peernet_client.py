"""A minimal client of peernetd's control socket, in Python.

Needs only Debian's /usr/bin/python3 and python3-msgpack. The protocol is
guides/control-api.md: msgpack-RPC over a Unix socket, in both directions.

    from peernet_client import Client

    with Client() as peernet:                      # $PEERNET_SOCKET or the default path
        print(peernet.call("laptop", "echo", {"text": "hi"}, timeout=5))

    with Client() as peernet:                      # serve a handle
        peernet.expose("echo", lambda args, peer: args)
        peernet.serve()                            # until the daemon stops

Errors from the daemon raise PeernetError, whose .code is the protocol's
stable code ("peer_offline", "timeout", ...). A send that is dropped is not
an error: send() returns {"delivered": False, "reason": ..., "message": ...}.
"""
import collections
import os
import socket

import msgpack

__all__ = ["Client", "PeernetError", "Peer", "default_socket_path"]

# Who called or sent: the peer id, and its alias on this daemon (or None).
Peer = collections.namedtuple("Peer", "id name")


class PeernetError(Exception):
    """An error answer: .code (stable, for programs) and .message (for humans)."""

    def __init__(self, code, message=""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


SYSTEM_SOCKET = "/run/peernet/peernetd.sock"


def _exists(path):
    # A socket in a directory we may not search (/run/peernet is 0710)
    # counts: connecting then says "permission denied", not "not running".
    try:
        os.stat(path)
        return True
    except PermissionError:
        return True
    except OSError:
        return False


def default_socket_path():
    """$PEERNET_SOCKET, else peernetd's default socket, chosen as peernetctl does:
    root's first choice is the system daemon, anyone else's their own
    user-mode daemon; the other is taken when only it exists."""
    if os.environ.get("PEERNET_SOCKET"):
        return os.environ["PEERNET_SOCKET"]
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime.startswith("/"):
        user = runtime + "/peernet/peernetd.sock"
    else:
        user = f"/tmp/peernet-{os.geteuid()}/peernetd.sock"
    first, second = (SYSTEM_SOCKET, user) if os.geteuid() == 0 else (user, SYSTEM_SOCKET)
    if not _exists(first) and _exists(second):
        return second
    return first


class Client:
    """One connection to peernetd. Handles it exposes last as long as it does."""

    def __init__(self, path=None, timeout=60.0):
        self.path = path or default_socket_path()
        self.timeout = timeout  # seconds to wait for any answer but a call's
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.connect(self.path)
        except FileNotFoundError:
            self._sock.close()
            raise PeernetError("closed", f"peernetd is not running? no socket at {self.path}")
        except PermissionError:
            self._sock.close()
            raise PeernetError("forbidden", f"permission denied: {self.path}")
        self._unpacker = msgpack.Unpacker(raw=False)
        self._msgid = 0
        self._inbox = []  # requests and notifications that arrived during a request
        self._handlers = {}  # handle name -> (on_call, on_send)
        self._stopping = False
        self.on_event = None  # called with (method, params) for peer.* events

    def close(self):
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- the wire ----

    def _write(self, message):
        self._sock.sendall(msgpack.packb(message, use_bin_type=True))

    def _read(self, timeout):
        """The next message; None when `timeout` seconds pass first (None waits forever)."""
        for message in self._unpacker:
            return message
        self._sock.settimeout(timeout)
        while True:
            try:
                data = self._sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise PeernetError("closed", "peernetd closed the connection")
            self._unpacker.feed(data)
            for message in self._unpacker:
                return message

    def request(self, method, params=None, wait=None):
        """Sends one request with its params map and returns its result; raises
        PeernetError for an error, or "timeout" after `wait` seconds without an answer."""
        self._msgid = self._msgid % 0xFFFFFFFF + 1
        msgid = self._msgid
        self._write([0, msgid, method, [params or {}]])
        while True:
            message = self._read(wait or self.timeout)
            if message is None:
                raise PeernetError("timeout", f"peernetd did not answer {method} in time")
            if message[0] == 1 and message[1] == msgid:
                error, result = message[2], message[3]
                if error is not None:
                    raise PeernetError(error.get("code", "internal"), error.get("message", ""))
                return result
            if message[0] != 1:  # a late response to an abandoned request is dropped
                self._inbox.append(message)

    # ---- methods (guides/control-api.md §6) ----

    def hello(self, client="peernet_client.py"):
        return self.request("hello", {"version": 1, "client": client})

    def identity(self):
        return self.request("identity")

    def status(self):
        return self.request("status")

    def peers(self, all=False):
        return self.request("peers", {"all": all})

    def trust_add(self, id, name=None, addrs=None):
        params = {"id": id}
        if name is not None:
            params["name"] = name
        if addrs is not None:
            params["addrs"] = list(addrs)
        return self.request("trust.add", params)

    def trust_remove(self, peer):
        return self.request("trust.remove", {"peer": peer})

    def trust_list(self):
        return self.request("trust.list")

    def call(self, peer, handle, args=None, timeout=None):
        params = {"peer": peer, "handle": handle, "args": args}
        if timeout is not None:
            params["timeout"] = float(timeout)
        # The daemon answers `timeout` itself; wait a little longer than it.
        return self.request("call", params, wait=(timeout or 3600) + 10)

    def send(self, peer, handle, args=None):
        return self.request("send", {"peer": peer, "handle": handle, "args": args})

    def subscribe(self, events=None):
        return self.request("subscribe", {} if events is None else {"events": list(events)})

    def connect(self, addr):
        return self.request("connect", {"addr": addr})

    def expose(self, handle, on_call=None, on_send=None, allow=None):
        """Exposes `handle`. on_call(args, peer) returns the reply (raise PeernetError
        to answer an error); on_send(args, peer) gets sends. Served by serve()."""
        params = {"handle": handle}
        if allow is not None:
            params["allow"] = list(allow)
        self.request("expose", params)
        self._handlers[handle] = (on_call, on_send)

    def unexpose(self, handle):
        self.request("unexpose", {"handle": handle})
        self._handlers.pop(handle, None)

    # ---- serving ----

    def stop(self):
        """Makes serve() return after the current message."""
        self._stopping = True

    def serve(self, timeout=None):
        """Handles calls, sends and events until stop(), the daemon goes away
        (PeernetError "closed"), or `timeout` seconds without a message."""
        self._stopping = False
        while not self._stopping:
            message = self._inbox.pop(0) if self._inbox else self._read(timeout)
            if message is None:
                return
            self._dispatch(message)

    def _dispatch(self, message):
        if message[0] == 0:  # a request: handle.call
            _, msgid, method, params = message
            if method != "handle.call":
                self._write([1, msgid, {"code": "unsupported", "message": method}, None])
                return
            p = params[0]
            on_call = self._handlers.get(p["handle"], (None, None))[0]
            try:
                if on_call is None:
                    raise PeernetError("no_such_handle", f"nothing serves {p['handle']!r}")
                result = on_call(p["args"], Peer(p["peer"], p.get("peer_name")))
                self._write([1, msgid, None, result])
            except PeernetError as e:
                self._write([1, msgid, {"code": e.code, "message": e.message}, None])
            except Exception as e:  # a bug in the handler is the caller's handler_failed
                self._write([1, msgid, {"code": "handler_failed", "message": repr(e)}, None])
        elif message[0] == 2 and message[1] == "handle.send":
            p = message[2][0]
            on_send = self._handlers.get(p["handle"], (None, None))[1]
            if on_send is not None:
                on_send(p["args"], Peer(p["peer"], p.get("peer_name")))
        elif message[0] == 2 and self.on_event is not None:
            self.on_event(message[1], message[2][0])
