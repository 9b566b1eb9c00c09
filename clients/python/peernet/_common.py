"""What the blocking and the asyncio client share: the default socket, the
types handed to handlers and event loops, and the answer to a call."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, NamedTuple, Optional

import msgpack

from .errors import PeernetError

#: The system daemon's socket (``peernetd --system``, the systemd unit).
SYSTEM_SOCKET = "/run/peernet/peernetd.sock"

#: The peer events ``subscribe`` knows (guides/control-api.md §7).
PEER_EVENTS = ("peer.up", "peer.down", "peer.connecting", "peer.discovered", "peer.wants_to_pair")

#: What this package says in ``hello``.
CLIENT_NAME = "peernet-python 0.1.0"


class Peer(NamedTuple):
    """Who called or sent: the peer id, and its alias on this daemon (or None)."""

    id: str
    name: Optional[str]


@dataclass(frozen=True)
class Event:
    """A peer event (``peer.up``, ``peer.down``, ``peer.connecting``,
    ``peer.discovered``). ``params`` holds every key the daemon sent,
    including ones this version does not know."""

    kind: str
    id: str
    name: Optional[str]
    fingerprint: Optional[str]
    params: Dict[str, Any] = field(repr=False)

    @property
    def reason(self) -> Optional[str]:
        """Why the peer went down (``peer.down``), else None."""
        return self.params.get("reason")

    @property
    def addrs(self) -> List[str]:
        """Addresses (``peer.connecting``, ``peer.discovered``, ``peer.wants_to_pair``), else []."""
        return list(self.params.get("addrs") or [])

    @classmethod
    def from_params(cls, kind: str, params: Dict[str, Any]) -> "Event":
        return cls(kind, params.get("id", ""), params.get("name"), params.get("fingerprint"), params)


@dataclass(frozen=True)
class SendDropped:
    """Streamed sends (:meth:`Client.send_stream`) that were not delivered:
    the daemon's ``send.dropped`` notification.

    The daemon numbers a connection's streamed sends 1, 2, 3, ... in the
    order it reads them (the numbers ``send_stream`` returns); this record
    covers ``first`` .. ``first + count - 1``, all dropped for ``reason`` (a
    code: ``peer_offline``, ``payload_too_large``, ``no_such_peer``,
    ``bad_request``, ``untrusted_peer``, ``closed``...). ``first`` is None
    for drops the peer reported (``no_such_handle``: it does not say which
    sends), so then only ``count`` is known. ``peer`` (an id) and ``handle``
    are None when the send did not name a trusted peer or a valid handle.
    """

    reason: str
    message: str
    count: int
    first: Optional[int]
    peer: Optional[str]
    peer_name: Optional[str]
    handle: Optional[str]

    @property
    def numbers(self) -> range:
        """The numbers of the dropped sends (empty when ``first`` is None)."""
        return range(0) if self.first is None else range(self.first, self.first + self.count)

    @classmethod
    def from_params(cls, params: Dict[str, Any]) -> "SendDropped":
        first = params.get("first")
        return cls(
            str(params.get("reason", "")),
            str(params.get("message", "")),
            int(params.get("count", 0) or 0),
            None if first is None else int(first),
            params.get("peer"),
            params.get("peer_name"),
            params.get("handle"),
        )


class FlushResult(NamedTuple):
    """The answer of ``send.flush`` (:meth:`Client.flush_sends`): counts since
    the connection opened. ``sent``: streamed sends the daemon read (the last
    number); ``dropped``: of them, reported in :class:`SendDropped` records
    (all of which arrived before this answer); ``confirmed``: every peer
    streamed to since the last flush answered a round trip, so the ones not
    dropped reached it (False when a peer went offline or did not answer
    in time: those sends were sent, and may or may not have arrived)."""

    sent: int
    dropped: int
    confirmed: bool

    @classmethod
    def from_result(cls, result: Any) -> "FlushResult":
        if not isinstance(result, dict):
            from .errors import ProtocolError

            raise ProtocolError(f"send.flush: the result is not a map: {result!r:.200}")
        return cls(int(result.get("sent", 0)), int(result.get("dropped", 0)), bool(result.get("confirmed", False)))


#: The notification the daemon reports streamed sends dropped with.
SEND_DROPPED = "send.dropped"

#: Streamed sends are packed into one buffer and written once it holds this
#: many bytes (or before anything waits).
STREAM_BUFFER = 64 << 10


def stream_message(peer: str, handle: str, args: Any) -> bytes:
    """A streamed send: the ``send`` notification."""
    return msgpack.packb([2, "send", [{"peer": peer, "handle": handle, "args": args}]], use_bin_type=True)


def flush_params(timeout: Optional[float]) -> Dict[str, Any]:
    return {} if timeout is None else {"timeout": float(timeout)}


def _exists(path: str) -> bool:
    # A socket in a directory we may not search (/run/peernet is 0710)
    # counts: connecting then says "permission denied", not "not running".
    try:
        os.stat(path)
        return True
    except PermissionError:
        return True
    except OSError:
        return False


def default_socket_path() -> str:
    """The socket peernetctl would use without ``--socket``.

    ``$PEERNET_SOCKET`` when set and not empty; else root's first choice is
    the system daemon's ``/run/peernet/peernetd.sock`` and anyone else's their
    own user-mode daemon's ``$XDG_RUNTIME_DIR/peernet/peernetd.sock``
    (``/tmp/peernet-<uid>/peernetd.sock`` without an absolute
    ``XDG_RUNTIME_DIR``); the other one is taken when only it exists.
    """
    env = os.environ.get("PEERNET_SOCKET")
    if env:
        return env
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime.startswith("/"):
        user = runtime + "/peernet/peernetd.sock"
    else:
        user = f"/tmp/peernet-{os.geteuid()}/peernetd.sock"
    first, second = (SYSTEM_SOCKET, user) if os.geteuid() == 0 else (user, SYSTEM_SOCKET)
    if not _exists(first) and _exists(second):
        return second
    return first


def error_map(e: BaseException) -> Dict[str, str]:
    """The error map a handler's exception answers: its own code for a
    PeernetError, ``handler_failed`` for anything else (a bug in the
    handler is the caller's handler_failed)."""
    if isinstance(e, PeernetError):
        return {"code": e.code, "message": e.message[:4096]}
    return {"code": "handler_failed", "message": f"{type(e).__name__}: {e}"[:4096]}


def given(**params: Any) -> Dict[str, Any]:
    """A params map of the optional keys that were given (not None)."""
    return {k: v for k, v in params.items() if v is not None}


def call_params(peer: str, handle: str, args: Any, timeout: Optional[float]) -> Dict[str, Any]:
    params: Dict[str, Any] = {"peer": peer, "handle": handle, "args": args}
    if timeout is not None:
        params["timeout"] = float(timeout)
    return params


def call_wait(timeout: Optional[float]) -> float:
    """How long to wait for a call's response: the daemon answers ``timeout``
    itself when the call's time is up, so a little longer than that."""
    return (3600.0 if timeout is None else float(timeout)) + 10.0


def connect_error(path: str, e: OSError) -> PeernetError:
    from .errors import Closed, Forbidden, IoError

    if isinstance(e, FileNotFoundError):
        return Closed(f"peernetd is not running? no socket at {path}")
    if isinstance(e, ConnectionRefusedError):
        return Closed(f"peernetd is not running? nobody listens on {path}")
    if isinstance(e, PermissionError):
        return Forbidden(f"permission denied: {path} (are you in the peernet group?)")
    return IoError(f"{path}: {e.strerror or e}")
