"""Errors of peernetd's control API, one class per stable code.

Every error the daemon answers is a map ``{"code", "message"}``
(guides/control-api.md §5). The client raises the class of that code, so a
program can catch exactly what it expects::

    try:
        client.call("laptop", "echo", "hi", timeout=5)
    except peernet.PeerOffline:
        ...
    except peernet.PeernetError as e:   # any other code
        print(e.code, e.message)

A code this package does not know (a newer daemon's) raises
:class:`PeernetError` itself, with that ``.code``.
"""
from __future__ import annotations

from typing import Dict, Type

__all__ = [
    "PeernetError",
    "BadRequest",
    "PeerOffline",
    "Timeout",
    "NoSuchHandle",
    "Forbidden",
    "UntrustedPeer",
    "PayloadTooLarge",
    "HandleTaken",
    "Busy",
    "NoSuchPeer",
    "AmbiguousPeer",
    "ProtocolError",
    "DecryptFailed",
    "NonceExhausted",
    "InvalidState",
    "BadKey",
    "BadPeerId",
    "IoError",
    "ConfigError",
    "Closed",
    "Unsupported",
    "Internal",
    "InsecureFile",
    "Cancelled",
    "Exists",
    "HandlerFailed",
    "error_from_code",
]


class PeernetError(Exception):
    """An error of the control API: ``.code`` (stable, for programs) and
    ``.message`` (for humans; may change between versions).

    ``PeernetError(code, message)`` makes an error with any code; a handler
    raises it (or a subclass, ``Busy("try later")``) to answer a call with
    that code. The subclasses take only the message.
    """

    #: The stable code; each subclass fixes its own.
    code: str = ""

    def __init__(self, *args: str) -> None:
        if type(self).code:
            if len(args) > 1:
                raise TypeError(f"{type(self).__name__}(message) takes one argument")
            code, message = type(self).code, (args[0] if args else "")
        else:
            if not 1 <= len(args) <= 2:
                raise TypeError("PeernetError(code, message='')")
            code, message = args[0], (args[1] if len(args) > 1 else "")
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class BadRequest(PeernetError):
    """The request is malformed (params, a bound, a name)."""

    code = "bad_request"


class PeerOffline(PeernetError):
    """No live session to the peer, or it closed while a call waited."""

    code = "peer_offline"


class Timeout(PeernetError):
    """No answer within the timeout."""

    code = "timeout"


class NoSuchHandle(PeernetError):
    """The peer exposes no handle of that name."""

    code = "no_such_handle"


class Forbidden(PeernetError):
    """Not an admin, or excluded by the handle's allow-list; or the socket may not be opened."""

    code = "forbidden"


class UntrustedPeer(PeernetError):
    """The peer is not on the trust list."""

    code = "untrusted_peer"


class PayloadTooLarge(PeernetError):
    """args or a result exceed session.max_envelope."""

    code = "payload_too_large"


class HandleTaken(PeernetError):
    """The handle is already exposed, by some connection."""

    code = "handle_taken"


class Busy(PeernetError):
    """The peer's session has too much queued; try again later."""

    code = "busy"


class NoSuchPeer(PeernetError):
    """A peer name that matches no peer."""

    code = "no_such_peer"


class AmbiguousPeer(PeernetError):
    """A peer prefix that matches several peers."""

    code = "ambiguous_peer"


class ProtocolError(PeernetError):
    """A peer, or the daemon's reply, broke the protocol."""

    code = "protocol_error"


class DecryptFailed(PeernetError):
    """A peer's message failed authentication."""

    code = "decrypt_failed"


class NonceExhausted(PeernetError):
    """A session used up its nonces."""

    code = "nonce_exhausted"


class InvalidState(PeernetError):
    """An operation at the wrong time."""

    code = "invalid_state"


class BadKey(PeernetError):
    """Malformed key material."""

    code = "bad_key"


class BadPeerId(PeernetError):
    """A peer id with a typo; the message says where."""

    code = "bad_peer_id"


class IoError(PeernetError):
    """The operating system refused something."""

    code = "io_error"


class ConfigError(PeernetError):
    """A configuration error."""

    code = "config_error"


class Closed(PeernetError):
    """The connection (or the daemon) went away, or there is no daemon."""

    code = "closed"


class Unsupported(PeernetError):
    """An unknown method, or another protocol version."""

    code = "unsupported"


class Internal(PeernetError):
    """A bug in peernetd."""

    code = "internal"


class InsecureFile(PeernetError):
    """A state file others can read."""

    code = "insecure_file"


class Cancelled(PeernetError):
    """The daemon abandoned the operation."""

    code = "cancelled"


class Exists(PeernetError):
    """trust.add with an alias another trusted peer has (or a pairing window is open)."""

    code = "exists"


class HandlerFailed(PeernetError):
    """The remote handler failed, or answered a code the caller's daemon does not know."""

    code = "handler_failed"


_BY_CODE: Dict[str, Type[PeernetError]] = {
    cls.code: cls
    for cls in (
        BadRequest, PeerOffline, Timeout, NoSuchHandle, Forbidden, UntrustedPeer, PayloadTooLarge, HandleTaken, Busy, NoSuchPeer, AmbiguousPeer, ProtocolError, DecryptFailed, NonceExhausted, InvalidState, BadKey, BadPeerId, IoError, ConfigError, Closed, Unsupported, Internal, InsecureFile, Cancelled, Exists, HandlerFailed,
    )
}


def error_from_code(code: str, message: str = "") -> PeernetError:
    """The exception for an error map's code: its class, or PeernetError."""
    cls = _BY_CODE.get(code)
    return cls(message) if cls is not None else PeernetError(code, message)
