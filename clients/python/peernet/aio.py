"""The asyncio client: the surface of :class:`peernet.Client`, with
coroutines, handlers that may be coroutines, and async iterators."""
from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Iterable, List, Optional, Set, Tuple, Union

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
from .errors import Closed, NoSuchHandle, PeernetError, ProtocolError, Timeout, error_from_code

__all__ = ["AsyncClient", "AsyncCallHandler", "AsyncSendHandler", "AsyncDroppedHandler"]

log = logging.getLogger("peernet")

#: on_call(args, peer) -> result, or a coroutine of it.
AsyncCallHandler = Callable[[Any, Peer], Union[Any, Awaitable[Any]]]
#: on_send(args, peer), or a coroutine.
AsyncSendHandler = Callable[[Any, Peer], Union[Any, Awaitable[Any]]]
#: on_dropped(record), or a coroutine: streamed sends that were not delivered.
AsyncDroppedHandler = Callable[[SendDropped], Union[Any, Awaitable[Any]]]


class AsyncClient:
    """One connection to peernetd, for asyncio programs::

        async with await AsyncClient.connect() as peernet:
            print(await peernet.call("laptop", "echo", "hi", timeout=5))

    A task reads the connection: answers go to the requests waiting for
    them (any number may be in flight), each incoming call runs its handler
    in a task of its own (handlers may be plain functions or coroutines),
    and peer events go to :meth:`events`. Errors are the classes of
    :mod:`peernet.errors`, as with :class:`peernet.Client`.

    ``on_dropped``: called (a function or a coroutine function) with each
    :class:`peernet.SendDropped` record as it arrives; without it the
    records are kept for :meth:`dropped`.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        path: str,
        timeout: float,
        on_dropped: Optional[AsyncDroppedHandler] = None,
    ) -> None:
        self.path = path
        #: Seconds any request but ``call`` may wait for its answer.
        self.timeout = timeout
        self._reader = reader
        self._writer = writer
        self._msgid = 0
        self._pending: Dict[int, asyncio.Future[Any]] = {}
        self._handlers: Dict[str, Tuple[Optional[AsyncCallHandler], Optional[AsyncSendHandler]]] = {}
        self._events: "asyncio.Queue[Union[Event, PeernetError]]" = asyncio.Queue()
        self._tasks: Set["asyncio.Task[Any]"] = set()
        self._closed: Optional[PeernetError] = None
        self._declared: List[Tuple[str, AsyncCallHandler, Optional[List[str]]]] = []
        self.on_dropped: Optional[AsyncDroppedHandler] = on_dropped
        self._dropped: List[SendDropped] = []
        self._out = bytearray()  # streamed sends not handed to the transport yet
        self._out_scheduled = False
        self._stream_seq = 0
        self._done = asyncio.get_running_loop().create_future()
        self._read_task = asyncio.ensure_future(self._read_loop())
        #: Called with each peer event (plain function or coroutine) instead
        #: of queueing it for :meth:`events`.
        self.on_event: Optional[Callable[[Event], Any]] = None

    @classmethod
    async def connect(
        cls,
        path: Optional[str] = None,
        *,
        timeout: float = 60.0,
        on_dropped: Optional[AsyncDroppedHandler] = None,
    ) -> "AsyncClient":
        """Connects to ``path`` (default :func:`peernet.default_socket_path`)."""
        path = path or default_socket_path()
        try:
            reader, writer = await asyncio.open_unix_connection(path, limit=64 << 20)
        except OSError as e:
            raise connect_error(path, e) from None
        return cls(reader, writer, path, timeout, on_dropped)

    async def close(self) -> None:
        """Closes the connection; the daemon withdraws its handles. Streamed
        sends not written yet are handed to the transport first (the daemon
        still sends them); await :meth:`flush_sends` before to know they
        arrived."""
        if self._closed is None:
            self._write_out()
        self._shut(Closed("the client is closed"))
        self._read_task.cancel()
        for t in list(self._tasks):
            t.cancel()
        try:
            await self._writer.wait_closed()
        except OSError:
            pass

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _shut(self, why: PeernetError) -> None:
        if self._closed is not None:
            return
        self._closed = why
        self._writer.close()
        for f in self._pending.values():
            if not f.done():
                f.set_exception(why)
        self._pending.clear()
        self._events.put_nowait(why)
        if not self._done.done():
            self._done.set_result(None)

    # ---- the wire ----

    def _write(self, message: Any) -> None:
        if self._closed is not None:
            raise self._closed
        self._write_out()
        self._writer.write(msgpack.packb(message, use_bin_type=True))

    def _write_out(self) -> None:
        """Hands the buffered streamed sends to the transport, in order."""
        self._out_scheduled = False
        if self._out and self._closed is None:
            data, self._out = self._out, bytearray()
            self._writer.write(data)

    async def _read_loop(self) -> None:
        unpacker = msgpack.Unpacker(raw=False, max_buffer_size=64 << 20)
        try:
            while True:
                data = await self._reader.read(65536)
                if not data:
                    self._shut(Closed("peernetd closed the connection"))
                    return
                unpacker.feed(data)
                for message in unpacker:
                    if not isinstance(message, list) or len(message) not in (3, 4) or message[0] not in (0, 1, 2):
                        self._shut(ProtocolError(f"peernetd sent something that is not msgpack-RPC: {message!r:.200}"))
                        return
                    self._dispatch(message)
        except asyncio.CancelledError:
            raise
        except (OSError, ValueError) as e:
            self._shut(Closed(f"peernetd closed the connection ({e})"))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _dispatch(self, message: List[Any]) -> None:
        if message[0] == 1:
            f = self._pending.pop(message[1], None)
            if f is None or f.done():
                return  # a late answer to a request we gave up on
            error, result = message[2], message[3]
            if error is None:
                f.set_result(result)
            elif isinstance(error, dict):
                f.set_exception(error_from_code(str(error.get("code", "internal")), str(error.get("message", ""))))
            else:
                f.set_exception(ProtocolError("the error is not a map"))
            return
        if message[0] == 0:
            _, msgid, method, params = message
            if method != "handle.call":
                self._write([1, msgid, {"code": "unsupported", "message": f"unknown method {method}"}, None])
                return
            p = params[0] if params and isinstance(params[0], dict) else {}
            self._spawn(self._answer(msgid, p))
            return
        method, params = message[1], message[2]
        p = params[0] if params and isinstance(params[0], dict) else {}
        if method == SEND_DROPPED:
            record = SendDropped.from_params(p)
            if self.on_dropped is not None:
                self._spawn(_maybe_await(self.on_dropped(record)))
            else:
                self._dropped.append(record)
        elif method == "handle.send":
            on_send = self._handlers.get(p.get("handle", ""), (None, None))[1]
            if on_send is not None:
                self._spawn(self._run_send(on_send, p))
        elif isinstance(method, str) and method.startswith("peer."):
            event = Event.from_params(method, p)
            if self.on_event is not None:
                self._spawn(_maybe_await(self.on_event(event)))
            else:
                self._events.put_nowait(event)

    async def _answer(self, msgid: int, p: Dict[str, Any]) -> None:
        on_call = self._handlers.get(p.get("handle", ""), (None, None))[0]
        try:
            if on_call is None:
                raise NoSuchHandle(f"nothing serves {p.get('handle')!r}")
            result = await _maybe_await(on_call(p.get("args"), Peer(p.get("peer", ""), p.get("peer_name"))))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - every failure is the caller's error
            answer = [1, msgid, error_map(e), None]
        else:
            answer = [1, msgid, None, result]
        if self._closed is None:
            self._write(answer)

    async def _run_send(self, on_send: AsyncSendHandler, p: Dict[str, Any]) -> None:
        try:
            await _maybe_await(on_send(p.get("args"), Peer(p.get("peer", ""), p.get("peer_name"))))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - nobody to answer; say it and go on
            log.exception("the handler of a send to %r failed", p.get("handle"))

    # ---- requests ----

    async def request(self, method: str, params: Optional[Dict[str, Any]] = None, *, wait: Optional[float] = None) -> Any:
        """Sends any request with its params map and returns its result;
        raises the error class of the answer's code, or :class:`Timeout`
        after ``wait`` seconds (default ``self.timeout``)."""
        self._msgid = self._msgid % 0xFFFFFFFF + 1
        while self._msgid in self._pending:
            self._msgid = self._msgid % 0xFFFFFFFF + 1
        msgid = self._msgid
        f: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._write([0, msgid, method, [params or {}]])
        self._pending[msgid] = f
        try:
            await self._writer.drain()
            return await asyncio.wait_for(f, self.timeout if wait is None else wait)
        except asyncio.TimeoutError:
            raise Timeout(f"peernetd did not answer {method} in time") from None
        except ConnectionError as e:
            self._shut(Closed(f"peernetd closed the connection ({e})"))
            raise self._closed from None  # type: ignore[misc]
        finally:
            self._pending.pop(msgid, None)

    async def hello(self, client: str = CLIENT_NAME) -> Dict[str, Any]:
        """``{version, daemon, id, admin}``."""
        return await self.request("hello", {"version": 1, "client": client})

    async def identity(self) -> Dict[str, Any]:
        """``{id, fingerprint, public_key}`` of this daemon."""
        return await self.request("identity")

    async def status(self) -> Dict[str, Any]:
        """Uptime, counts and counters."""
        return await self.request("status")

    async def peers(self, all: bool = False) -> List[Dict[str, Any]]:
        """Known peers and their state."""
        return await self.request("peers", {"all": all})

    async def trust_add(self, id: str, name: Optional[str] = None, addrs: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        """Trusts a peer by its full id (admin); returns ``{id}``."""
        return await self.request("trust.add", given(id=id, name=name, addrs=None if addrs is None else list(addrs)))

    async def trust_remove(self, peer: str) -> None:
        """Stops trusting a peer (admin)."""
        await self.request("trust.remove", {"peer": peer})

    async def trust_list(self) -> List[Dict[str, Any]]:
        """The trust list: ``[{id, name, addrs}]``."""
        return await self.request("trust.list")

    async def connect_peer(self, addr: str) -> Dict[str, Any]:
        """Dials ``host:port`` now (the control method ``connect``)."""
        return await self.request("connect", {"addr": addr})

    async def call(self, peer: str, handle: str, args: Any = None, *, timeout: Optional[float] = None) -> Any:
        """Calls ``handle`` on ``peer`` and returns its result."""
        return await self.request("call", call_params(peer, handle, args, timeout), wait=call_wait(timeout))

    async def send(self, peer: str, handle: str, args: Any = None) -> Dict[str, Any]:
        """Fire-and-forget; ``{"delivered": False, "reason", "message"}`` when dropped."""
        return await self.request("send", {"peer": peer, "handle": handle, "args": args})

    async def send_stream(self, peer: str, handle: str, args: Any = None) -> int:
        """Streams a send without an answer of its own (the ``send``
        notification); returns its number on this connection (1, 2, 3,
        ...), which :class:`peernet.SendDropped` records name.

        Sends are buffered and handed to the transport in batches, and at
        the latest when the program next waits for anything (the event loop
        runs the write). This waits only while the transport is full: when
        the peer's session is full the daemon stops reading this
        connection, so a stream runs at the speed of the link and the peer.
        Drops are reported to ``on_dropped`` or :meth:`dropped`."""
        if self._closed is not None:
            raise self._closed
        self._out += stream_message(peer, handle, args)
        self._stream_seq += 1
        if len(self._out) >= STREAM_BUFFER:
            self._write_out()
            try:
                await self._writer.drain()
            except ConnectionError as e:
                self._shut(Closed(f"peernetd closed the connection ({e})"))
                raise self._closed from None  # type: ignore[misc]
        elif not self._out_scheduled:
            self._out_scheduled = True
            asyncio.get_running_loop().call_soon(self._write_out)
        return self._stream_seq

    async def flush_sends(self, timeout: Optional[float] = None) -> FlushResult:
        """Waits until every peer streamed to since the last flush has read
        this connection's streamed sends (``send.flush``; ``timeout``
        seconds for that, default the daemon's ``session.call_timeout``).
        Every :class:`peernet.SendDropped` record for them has arrived when
        it returns. The counts are since the connection opened."""
        result = await self.request("send.flush", flush_params(timeout), wait=call_wait(timeout))
        return FlushResult.from_result(result)

    def dropped(self) -> List[SendDropped]:
        """The :class:`peernet.SendDropped` records received so far
        (without ``on_dropped``), oldest first; the list is emptied."""
        records, self._dropped = self._dropped, []
        return records

    async def subscribe(self, events: Optional[Iterable[str]] = None) -> None:
        """Chooses the peer events this connection receives (default: all)."""
        await self.request("subscribe", {} if events is None else {"events": list(events)})

    # ---- handles ----

    async def expose(
        self,
        handle: str,
        on_call: Optional[AsyncCallHandler] = None,
        *,
        on_send: Optional[AsyncSendHandler] = None,
        allow: Optional[Iterable[str]] = None,
    ) -> None:
        """Exposes ``handle``; calls run ``on_call(args, peer)`` (a function
        or a coroutine function) in a task each, sends ``on_send`` (default
        on_call). A PeernetError raised answers its code, any other
        exception ``handler_failed``. See :meth:`handle` for a decorator."""
        if on_call is None and on_send is None:
            raise TypeError("expose needs on_call or on_send")
        self._handlers[handle] = (on_call, on_send or on_call)
        try:
            await self.request("expose", given(handle=handle, allow=None if allow is None else list(allow)))
        except BaseException:
            self._handlers.pop(handle, None)
            raise

    def handle(self, handle: str, *, allow: Optional[Iterable[str]] = None) -> Callable[[AsyncCallHandler], AsyncCallHandler]:
        """A decorator that registers the function for ``handle``; the
        handle is exposed by :meth:`expose_all` (a decorator cannot await)::

            @peernet.handle("echo")
            async def echo(args, peer):
                return args

            await peernet.expose_all()
        """

        def register(fn: AsyncCallHandler) -> AsyncCallHandler:
            self._declared.append((handle, fn, None if allow is None else list(allow)))
            return fn

        return register

    async def expose_all(self) -> None:
        """Exposes every handle declared with :meth:`handle` and not yet exposed."""
        while self._declared:
            name, fn, allow = self._declared.pop(0)
            await self.expose(name, fn, allow=allow)

    async def unexpose(self, handle: str) -> None:
        """Withdraws a handle this connection exposed."""
        await self.request("unexpose", {"handle": handle})
        self._handlers.pop(handle, None)

    # ---- incoming ----

    async def events(self, kinds: Optional[Iterable[str]] = PEER_EVENTS, *, timeout: Optional[float] = None) -> AsyncIterator[Event]:
        """Subscribes to ``kinds`` (None: keep the subscription) and yields
        peer events. Raises :class:`Timeout` after ``timeout`` seconds
        without one, :class:`Closed` when the daemon goes away."""
        if kinds is not None:
            await self.subscribe(kinds)
        while True:
            try:
                item = await asyncio.wait_for(self._events.get(), timeout)
            except asyncio.TimeoutError:
                raise Timeout(f"no peer event within {timeout} s") from None
            if isinstance(item, PeernetError):
                self._events.put_nowait(item)  # for every other iterator
                raise item
            yield item

    async def serve(self) -> None:
        """Returns when the connection ends: after :meth:`close`, or raising
        :class:`Closed` when the daemon went away. Handlers run meanwhile."""
        await asyncio.shield(self._done)
        if self._closed is not None and self._closed.message != "the client is closed":
            raise self._closed


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value
