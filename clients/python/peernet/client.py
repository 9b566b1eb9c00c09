"""The blocking client: one connection to peernetd, no threads."""
from __future__ import annotations

import logging
import selectors
import socket
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import msgpack

from ._common import (
    CLIENT_NAME,
    PEER_EVENTS,
    SEND_DROPPED,
    STREAM_BUFFER,
    Event,
    FlushResult,
    Peer,
    SendDropped,
    call_params,
    call_wait,
    connect_error,
    default_socket_path,
    error_map,
    flush_params,
    given,
    stream_message,
)
from .errors import Closed, Forbidden, NoSuchHandle, PeernetError, ProtocolError, Timeout, error_from_code

__all__ = ["Client", "CallHandler", "SendHandler", "DroppedHandler"]

log = logging.getLogger("peernet")

#: on_call(args, peer) -> result (raise PeernetError to answer its code).
CallHandler = Callable[[Any, Peer], Any]
#: on_send(args, peer); its return value is ignored.
SendHandler = Callable[[Any, Peer], Any]
#: on_dropped(record): streamed sends that were not delivered.
DroppedHandler = Callable[[SendDropped], Any]


class Client:
    """One connection to peernetd (guides/control-api.md).

    Every method sends one request and blocks until its answer, at most
    ``timeout`` seconds (a call: its own timeout, plus a margin). While it
    waits, calls and sends to exposed handles and peer events are kept, in
    order, for :meth:`serve` and :meth:`events`. The handles a client
    exposes belong to its connection and disappear when it closes. Not
    thread-safe: use one Client per thread.

    ``path``: the socket; default :func:`default_socket_path`
    (``$PEERNET_SOCKET``, else peernetd's default, as peernetctl chooses).
    Raises :class:`Closed` when no daemon listens there, :class:`Forbidden`
    when the socket may not be opened.

    ``reconnect``: when the daemon goes away during :meth:`serve` or
    :meth:`events`, connect again (every ``reconnect_interval`` seconds
    until it is back, or the serve's timeout passes), expose the same
    handles and subscribe to the same events, and carry on. A request
    that was waiting still fails with :class:`Closed`.

    ``on_dropped``: called with each :class:`SendDropped` record (streamed
    sends not delivered, :meth:`send_stream`) as it is read; without it the
    records are kept for :meth:`dropped`.
    """

    def __init__(
        self,
        path: Optional[str] = None,
        *,
        timeout: float = 60.0,
        reconnect: bool = False,
        reconnect_interval: float = 0.5,
        on_dropped: Optional[DroppedHandler] = None,
    ) -> None:
        self.path: str = path or default_socket_path()
        #: Seconds any request but ``call`` may wait for its answer.
        self.timeout: float = timeout
        self.reconnect = reconnect
        self.reconnect_interval = reconnect_interval
        self._sock: Optional[socket.socket] = None
        self._msgid = 0
        self._handlers: Dict[str, Tuple[Optional[CallHandler], Optional[SendHandler]]] = {}
        self._allow: Dict[str, Optional[List[str]]] = {}
        self._subscription: Optional[Optional[List[str]]] = None
        self._subscribed = False
        self._closed_by_user = False
        self._stopping = False
        self.on_dropped: Optional[DroppedHandler] = on_dropped
        self._dropped: List[SendDropped] = []
        self._open()
        #: Called with each peer event when no :meth:`events` loop takes it
        #: (during :meth:`serve`). Subscribe first.
        self.on_event: Optional[Callable[[Event], Any]] = None

    # ---- connection ----

    def _open(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(self.path)
        except OSError as e:
            sock.close()
            raise connect_error(self.path, e) from None
        self._sock = sock
        self._unpacker = msgpack.Unpacker(raw=False, max_buffer_size=64 << 20)
        self._inbox: List[Any] = []  # requests and notifications that arrived during a request
        self._out = bytearray()  # written in order, before anything waits (_flush_out)
        self._writing = False  # _flush_out is writing _out
        self._busy = 0  # writes and requests under way: records read meanwhile are held
        self._held_drops: List[SendDropped] = []
        self._stream_seq = 0  # streamed sends written on this connection

    def _reopen(self, deadline: Optional[float]) -> bool:
        """Connects again after the daemon went away and restores the
        handles and the subscription; False when `deadline` passed first."""
        while True:
            try:
                self._open()
                break
            except (Closed, Forbidden):
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                time.sleep(self.reconnect_interval)
        log.info("reconnected to %s", self.path)
        for handle, allow in list(self._allow.items()):
            try:
                self.request("expose", given(handle=handle, allow=allow))
            except PeernetError as e:  # e.g. handle_taken: someone else serves it now
                log.warning("could not expose %r again: %s", handle, e)
                self._handlers.pop(handle, None)
                self._allow.pop(handle, None)
        if self._subscribed:
            self.request("subscribe", {} if self._subscription is None else {"events": self._subscription})
        return True

    def close(self) -> None:
        """Closes the connection; the daemon withdraws its handles. Streamed
        sends not written yet are written first (the daemon still sends
        them); call :meth:`flush_sends` before to know they arrived."""
        self._closed_by_user = True
        if self._sock is not None and self._out:
            try:
                self._flush_out()
            except PeernetError:
                pass
        self._drop()

    def _drop(self) -> None:
        self._out.clear()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fileno(self) -> int:
        """The socket, for select()/poll(); :meth:`serve` with ``timeout=0``
        then handles what arrived. Streamed sends not written yet are
        written first."""
        self._flush_out()
        return self._live().fileno()

    def _live(self) -> socket.socket:
        if self._sock is None:
            raise Closed("the client is closed")
        return self._sock

    def _write(self, message: Any) -> None:
        self._out += msgpack.packb(message, use_bin_type=True)
        self._flush_out()

    def _flush_out(self) -> None:
        """Writes everything in ``_out``. While the daemon does not read (it
        holds a stream back while the peer's session is full), what it
        writes meanwhile is read, so that neither side waits for the other
        (_take_incoming)."""
        if self._writing or not self._out:
            return
        sock = self._live()
        self._writing = True
        self._busy += 1
        try:
            while self._out:
                data, self._out = self._out, bytearray()
                self._send_all(sock, memoryview(data))
        finally:
            self._writing = False
            self._busy -= 1
        self._release_drops()

    def _release_drops(self) -> None:
        """Hands the records held during a write or a request to on_dropped
        (or the list), now that neither is under way: on_dropped may stream
        more, or make requests."""
        while self._held_drops and not self._busy:
            self._take_drop(self._held_drops.pop(0))

    def _send_all(self, sock: socket.socket, view: memoryview) -> None:
        done = 0
        sel: Optional[selectors.BaseSelector] = None
        try:
            sock.setblocking(False)
            while done < len(view):
                try:
                    done += sock.send(view[done:])
                    continue
                except BlockingIOError:
                    pass
                if sel is None:
                    sel = selectors.DefaultSelector()
                    sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
                for _, events in sel.select():
                    if events & selectors.EVENT_READ:
                        self._take_incoming(sock)
        except OSError as e:
            self._drop()
            raise Closed(f"peernetd closed the connection ({e.strerror or e})") from None
        finally:
            if sel is not None:
                sel.close()

    def _take_incoming(self, sock: socket.socket) -> None:
        """Reads what arrived while writing: drop reports are held for
        on_dropped (or the list), requests and notifications kept for later.
        An answer cannot be for the request being written, so it is a late
        one and dropped."""
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        if not data:
            raise ConnectionResetError("peernetd closed the connection")
        self._unpacker.feed(data)
        for message in self._unpacker:
            message = self._check(message)
            if message[0] != 1 and not self._took_drop(message):
                self._inbox.append(message)

    def _took_drop(self, message: Any) -> bool:
        """Takes a send.dropped notification: to on_dropped (or the list),
        or held while a write or a request is under way (_release_drops)."""
        if message[0] != 2 or message[1] != SEND_DROPPED:
            return False
        params = message[2]
        p = params[0] if isinstance(params, list) and params and isinstance(params[0], dict) else {}
        record = SendDropped.from_params(p)
        if self._busy:
            self._held_drops.append(record)
        else:
            self._take_drop(record)
        return True

    def _take_drop(self, record: SendDropped) -> None:
        if self.on_dropped is not None:
            self.on_dropped(record)
        else:
            self._dropped.append(record)

    def _read(self, deadline: Optional[float]) -> Any:
        """The next message; None once `deadline` (time.monotonic()) passed.
        None waits forever. Streamed sends not written yet are written first."""
        self._flush_out()
        for message in self._unpacker:
            message = self._check(message)
            if not self._took_drop(message):
                return message
        sock = self._live()
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except (socket.timeout, BlockingIOError):  # settimeout(0) is non-blocking
                return None
            except OSError as e:
                self._drop()
                raise Closed(f"peernetd closed the connection ({e.strerror or e})") from None
            if not data:
                self._drop()
                raise Closed("peernetd closed the connection")
            self._unpacker.feed(data)
            for message in self._unpacker:
                message = self._check(message)
                if not self._took_drop(message):
                    return message

    def _check(self, message: Any) -> Any:
        if not isinstance(message, list) or len(message) not in (3, 4) or message[0] not in (0, 1, 2):
            self._drop()
            raise ProtocolError(f"peernetd sent something that is not msgpack-RPC: {message!r:.200}")
        return message

    # ---- requests ----

    def request(self, method: str, params: Optional[Dict[str, Any]] = None, *, wait: Optional[float] = None) -> Any:
        """Sends any request with its params map and returns its result.

        Raises the error class of the answer's code, or :class:`Timeout`
        when no answer came within ``wait`` seconds (default ``self.timeout``).
        """
        self._msgid = self._msgid % 0xFFFFFFFF + 1
        msgid = self._msgid
        self._busy += 1
        try:
            self._write([0, msgid, method, [params or {}]])
            deadline = time.monotonic() + (self.timeout if wait is None else wait)
            while True:
                message = self._read(deadline)
                if message is None:
                    raise Timeout(f"peernetd did not answer {method} in time")
                if message[0] == 1:
                    if message[1] != msgid:
                        continue  # a late answer to a request we gave up on
                    error, result = message[2], message[3]
                    if error is not None:
                        if not isinstance(error, dict):
                            raise ProtocolError(f"{method}: the error is not a map")
                        raise error_from_code(str(error.get("code", "internal")), str(error.get("message", "")))
                    return result
                self._inbox.append(message)
        finally:
            self._busy -= 1
            self._release_drops()

    def hello(self, client: str = CLIENT_NAME) -> Dict[str, Any]:
        """``{version, daemon, id, admin}``: the daemon, and whether this
        connection may use the admin methods."""
        return self.request("hello", {"version": 1, "client": client})

    def identity(self) -> Dict[str, Any]:
        """``{id, fingerprint, public_key}`` of this daemon."""
        return self.request("identity")

    def status(self) -> Dict[str, Any]:
        """Uptime, counts and counters."""
        return self.request("status")

    def peers(self, all: bool = False) -> List[Dict[str, Any]]:
        """Known peers and their state (``all``: also untrusted ones discovered)."""
        return self.request("peers", {"all": all})

    def trust_add(self, id: str, name: Optional[str] = None, addrs: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        """Trusts a peer by its full id (admin); returns ``{id}``."""
        return self.request("trust.add", given(id=id, name=name, addrs=None if addrs is None else list(addrs)))

    def trust_remove(self, peer: str) -> None:
        """Stops trusting a peer (admin); its session closes at once."""
        self.request("trust.remove", {"peer": peer})

    def trust_list(self) -> List[Dict[str, Any]]:
        """The trust list: ``[{id, name, addrs}]``."""
        return self.request("trust.list")

    def connect_peer(self, addr: str) -> Dict[str, Any]:
        """Dials ``host:port`` now (the control method ``connect``); returns
        ``{id}`` of the trusted peer there."""
        return self.request("connect", {"addr": addr})

    def call(self, peer: str, handle: str, args: Any = None, *, timeout: Optional[float] = None) -> Any:
        """Calls ``handle`` on ``peer`` (an id, a unique prefix or an alias)
        and returns its result. ``timeout`` seconds (default: the daemon's
        ``session.call_timeout``); raises :class:`Timeout` after it."""
        return self.request("call", call_params(peer, handle, args, timeout), wait=call_wait(timeout))

    def send(self, peer: str, handle: str, args: Any = None) -> Dict[str, Any]:
        """Fire-and-forget. A send that cannot leave now is dropped, which is
        a result, not an error: ``{"delivered": False, "reason", "message"}``."""
        return self.request("send", {"peer": peer, "handle": handle, "args": args})

    def send_stream(self, peer: str, handle: str, args: Any = None) -> int:
        """Streams a send: fire-and-forget without an answer of its own (the
        ``send`` notification). Returns its number on this connection (1, 2,
        3, ...), which :class:`SendDropped` records name.

        Sends are buffered and written in batches; anything that waits (a
        request, :meth:`flush_sends`, :meth:`serve`, :meth:`events`,
        :meth:`fileno`, :meth:`close`) writes them first. When the peer's
        session is full the daemon stops reading this connection, and this
        method blocks until it reads again: a stream runs at the speed of
        the link and the peer. Drops are reported later, to ``on_dropped``
        or :meth:`dropped`."""
        self._live()
        self._out += stream_message(peer, handle, args)
        self._stream_seq += 1
        if len(self._out) >= STREAM_BUFFER:
            self._flush_out()
        return self._stream_seq

    def flush_sends(self, timeout: Optional[float] = None) -> FlushResult:
        """Writes the streamed sends not written yet and waits until every
        peer streamed to since the last flush has read them (``send.flush``;
        ``timeout`` seconds for that, default the daemon's
        ``session.call_timeout``). Every :class:`SendDropped` record for
        those sends has been taken when it returns. The counts are since
        the connection opened."""
        result = self.request("send.flush", flush_params(timeout), wait=call_wait(timeout))
        return FlushResult.from_result(result)

    def dropped(self) -> List[SendDropped]:
        """The :class:`SendDropped` records read so far (without
        ``on_dropped``), oldest first; the list is emptied. Records arrive
        while the client reads: call :meth:`flush_sends` first to have all
        of them for the sends before it."""
        records, self._dropped = self._dropped, []
        return records

    def subscribe(self, events: Optional[Iterable[str]] = None) -> None:
        """Chooses the peer events this connection receives (default: all)."""
        kinds = None if events is None else list(events)
        self.request("subscribe", {} if kinds is None else {"events": kinds})
        self._subscription, self._subscribed = kinds, True

    # ---- handles ----

    def expose(
        self,
        handle: str,
        on_call: Optional[CallHandler] = None,
        *,
        on_send: Optional[SendHandler] = None,
        allow: Optional[Iterable[str]] = None,
    ) -> Any:
        """Exposes ``handle`` to peers (``allow``: only these). Calls go to
        ``on_call(args, peer)``, whose return value is the answer; a
        PeernetError it raises answers that code, any other exception
        ``handler_failed``. Sends go to ``on_send(args, peer)`` (default:
        on_call, its result dropped; an exception there is logged to the
        ``peernet`` logger, since nobody waits for an answer). Handled during :meth:`serve` and
        :meth:`events`.

        Without ``on_call`` it is a decorator::

            @client.expose("echo")
            def echo(args, peer):
                return args
        """

        allow_list = None if allow is None else list(allow)

        def register(fn: CallHandler) -> CallHandler:
            self.request("expose", given(handle=handle, allow=allow_list))
            self._handlers[handle] = (fn, on_send or fn)
            self._allow[handle] = allow_list
            return fn

        if on_call is None and on_send is not None:  # sends only: calls get no_such_handle
            self.request("expose", given(handle=handle, allow=allow_list))
            self._handlers[handle] = (None, on_send)
            self._allow[handle] = allow_list
            return on_send
        if on_call is None:
            return register
        return register(on_call)

    def unexpose(self, handle: str) -> None:
        """Withdraws a handle this connection exposed."""
        self.request("unexpose", {"handle": handle})
        self._handlers.pop(handle, None)
        self._allow.pop(handle, None)

    # ---- incoming ----

    def stop(self) -> None:
        """Makes :meth:`serve` return after the current message."""
        self._stopping = True

    def serve(self, timeout: Optional[float] = None) -> None:
        """Handles calls, sends and events (to :attr:`on_event`) until
        :meth:`stop`, or ``timeout`` seconds passed (None: no end; 0: only
        what is there now). Raises :class:`Closed` when the daemon goes away."""
        self._stopping = False
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stopping:
            message = self._next(deadline)
            if message is None:
                return
            event = self._dispatch(message)
            if event is not None and self.on_event is not None:
                self.on_event(event)

    def events(self, kinds: Optional[Iterable[str]] = PEER_EVENTS, *, timeout: Optional[float] = None) -> Iterator[Event]:
        """Subscribes to ``kinds`` (None: keep the current subscription) and
        yields peer events as they come, handling calls and sends meanwhile.
        Raises :class:`Timeout` when ``timeout`` seconds pass without an
        event, :class:`Closed` when the daemon goes away."""
        if kinds is not None:
            self.subscribe(kinds)
        while True:
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                message = self._next(deadline)
                if message is None:
                    raise Timeout(f"no peer event within {timeout} s")
                event = self._dispatch(message)
                if event is not None:
                    break
            yield event

    def _next(self, deadline: Optional[float]) -> Any:
        if self._inbox:
            return self._inbox.pop(0)
        while True:
            try:
                message = self._read(deadline)
            except Closed:
                if not self.reconnect or self._closed_by_user:
                    raise
                log.warning("peernetd went away; connecting again to %s", self.path)
                if not self._reopen(deadline):
                    return None
                continue
            if message is None or message[0] != 1:  # drop late answers
                return message

    def _dispatch(self, message: Any) -> Optional[Event]:
        """Handles a request or notification; returns it when it is a peer event."""
        if message[0] == 0:
            _, msgid, method, params = message
            if method != "handle.call":
                self._write([1, msgid, {"code": "unsupported", "message": f"unknown method {method}"}, None])
                return None
            p = params[0] if params and isinstance(params[0], dict) else {}
            on_call = self._handlers.get(p.get("handle", ""), (None, None))[0]
            try:
                if on_call is None:
                    raise NoSuchHandle(f"nothing serves {p.get('handle')!r}")
                result = on_call(p.get("args"), Peer(p.get("peer", ""), p.get("peer_name")))
            except Exception as e:  # noqa: BLE001 - every failure is the caller's error
                self._write([1, msgid, error_map(e), None])
            else:
                self._write([1, msgid, None, result])
            return None
        method, params = message[1], message[2]
        p = params[0] if params and isinstance(params[0], dict) else {}
        if method == "handle.send":
            on_send = self._handlers.get(p.get("handle", ""), (None, None))[1]
            if on_send is not None:
                try:
                    on_send(p.get("args"), Peer(p.get("peer", ""), p.get("peer_name")))
                except Exception:  # noqa: BLE001 - nobody to answer; say it and go on
                    log.exception("the handler of a send to %r failed", p.get("handle"))
            return None
        if isinstance(method, str) and method.startswith("peer."):
            return Event.from_params(method, p)
        return None
