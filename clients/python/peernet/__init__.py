"""peernet: a client of peernetd's control socket (guides/control-api.md).

Programs expose named handles that peers may call, and call and send to
handles on peers, through the local peernetd::

    import peernet

    with peernet.Client() as p:                 # $PEERNET_SOCKET, else the default socket
        print(p.call("laptop", "echo", {"text": "hi"}, timeout=5))

:class:`Client` blocks; :class:`AsyncClient` is the same for asyncio.
``send_stream`` streams sends without waiting for each (drops come back as
:class:`SendDropped` records, ``flush_sends`` answers the totals).
Errors are one class per stable code of the control API, all
:class:`PeernetError` with ``.code`` and ``.message``.
"""
from ._common import PEER_EVENTS, SYSTEM_SOCKET, Event, FlushResult, Peer, SendDropped, default_socket_path
from .aio import AsyncClient
from .client import Client
from .errors import (
    AmbiguousPeer,
    BadKey,
    BadPeerId,
    BadRequest,
    Busy,
    Cancelled,
    Closed,
    ConfigError,
    DecryptFailed,
    Exists,
    Forbidden,
    HandlerFailed,
    HandleTaken,
    InsecureFile,
    Internal,
    InvalidState,
    IoError,
    NoSuchHandle,
    NoSuchPeer,
    NonceExhausted,
    PayloadTooLarge,
    PeerOffline,
    PeernetError,
    ProtocolError,
    Timeout,
    Unsupported,
    UntrustedPeer,
    error_from_code,
)

__version__ = "0.1.0"

__all__ = [
    "Client",
    "AsyncClient",
    "Peer",
    "Event",
    "SendDropped",
    "FlushResult",
    "PEER_EVENTS",
    "SYSTEM_SOCKET",
    "default_socket_path",
    "error_from_code",
    "PeernetError",
    "AmbiguousPeer",
    "BadKey",
    "BadPeerId",
    "BadRequest",
    "Busy",
    "Cancelled",
    "Closed",
    "ConfigError",
    "DecryptFailed",
    "Exists",
    "Forbidden",
    "HandlerFailed",
    "HandleTaken",
    "InsecureFile",
    "Internal",
    "InvalidState",
    "IoError",
    "NoSuchHandle",
    "NoSuchPeer",
    "NonceExhausted",
    "PayloadTooLarge",
    "PeerOffline",
    "ProtocolError",
    "Timeout",
    "Unsupported",
    "UntrustedPeer",
]
