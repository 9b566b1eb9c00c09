#!/usr/bin/python3
"""An independent peer for the peernet wire protocol, version 1.

Written from guides/protocol.md alone (the § numbers below are its sections),
so that running it against peernetd tests the document as much as the daemon.
It needs Debian's python3-dissononce (Noise) and python3-msgpack, nothing else.

Layers, bottom up:
  frames (§2) -> Noise XX handshake (§3) -> transport cipher states (§3.2, §6)
  -> records (§4) -> envelopes (§5) -> Peer: one connection, blocking I/O.
Handshake and Session do no I/O, so worked_example.py can drive both sides in
memory. The CLI at the bottom is what the shell tests run.
"""

import argparse
import collections
import json
import re
import secrets
import socket
import struct
import sys
import threading
import time

import msgpack
from dissononce.cipher.chachapoly import ChaChaPolyCipher
from dissononce.dh.x25519.private import PrivateKey
from dissononce.dh.x25519.x25519 import X25519DH
from dissononce.extras.dh.dangerous.dh_nogen import NoGenDH
from dissononce.hash.sha256 import SHA256Hash
from dissononce.processing.handshakepatterns.interactive.XX import XXHandshakePattern
from dissononce.processing.impl.cipherstate import CipherState
from dissononce.processing.impl.handshakestate import HandshakeState
from dissononce.processing.impl.symmetricstate import SymmetricState

PROLOGUE = b"peernet/1"                    # §3
MAX_FRAME = 65535                          # §2, the Noise message cap
MAX_PLAINTEXT = MAX_FRAME - 16             # §4: a message minus its AEAD tag
MAX_HELLO = 4096                           # §3.1
MAX_ENVELOPE = 1 << 20                     # §4, default
MAX_DEPTH, MAX_CONTAINER, MAX_OBJECTS = 32, 65536, 1 << 18   # §5.3
MAX_NONCE = 2**64 - 1                      # reserved by Noise; never used (§6)
REKEY_MESSAGES, REKEY_SECONDS = 1_000_000, 3600.0   # §6, defaults
HANDSHAKE_TIMEOUT = 10.0                   # §3, default
DEAD_PEER = 45.0                           # §8, default

ENVELOPE, FRAGMENT_FIRST, FRAGMENT_MORE, REKEY = 1, 2, 3, 4   # §4 record types
CALL, REPLY, ERROR, SEND, PING, PONG, CLOSE = range(1, 8)     # §5 envelope types
LENGTHS = {CALL: 4, REPLY: 3, ERROR: 4, SEND: 3, PING: 2, PONG: 2, CLOSE: 3}
HANDLE_RE = re.compile(r"[A-Za-z0-9_.:/-]{1,128}\Z")          # §5
CODE_RE = re.compile(r"[a-z0-9_]{1,64}\Z")                    # §5, §5.2
NO_REPLY = object()   # a handler returning this leaves the call unanswered (tests only)


class PeerError(Exception):
    pass


class ProtocolError(PeerError):
    """The other side broke the specification; `reason` is what we close with (§5.2)."""
    def __init__(self, message, reason="protocol_error"):
        super().__init__(message)
        self.reason = reason


class HandshakeError(PeerError):
    """The handshake failed or a trust check refused the other side (§3)."""


class RemoteError(PeerError):
    """An `error` envelope answered our call (§5)."""
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class TooLarge(ValueError):
    """An envelope of ours exceeds the maximum envelope size (§4)."""


class Closed(PeerError):
    """The connection ended: `reason` is a close reason (§5.2) or "eof"."""
    def __init__(self, reason, message=""):
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason, self.message = reason, message


def public_key(private):
    return X25519DH().generate_keypair(PrivateKey(private)).public.data


def generate_private():
    return X25519DH().generate_keypair().private.data


class Map(list):
    """A msgpack map that a dict cannot hold, as its (key, value) pairs in
    order: keys may be any object (§5.3), an array for one, and keys that
    Python deems equal (1 and True) would collapse in a dict."""


def _map(pairs):
    try:
        d = dict(pairs)
    except TypeError:       # an unhashable key
        return Map(pairs)
    return d if len(d) == len(pairs) else Map(pairs)


def pack(obj):
    # Smallest encodings, str as str and bytes as bin; surrogateescape gives
    # back the exact bytes of a str that arrived as invalid UTF-8. Containers
    # are walked here so that a Map goes out as a map.
    packer = msgpack.Packer(use_bin_type=True, unicode_errors="surrogateescape", autoreset=False)

    def walk(x):
        if isinstance(x, (Map, dict)):
            packer.pack_map_header(len(x))
            for k, v in (x if isinstance(x, Map) else x.items()):
                walk(k)
                walk(v)
        elif isinstance(x, list) or type(x) is tuple:   # not ExtType, a namedtuple
            packer.pack_array_header(len(x))
            for v in x:
                walk(v)
        else:
            packer.pack(x)
    walk(obj)
    return packer.bytes()


def unpack(data, pairs=_map):
    # The container caps of §5.3 are enforced while parsing, before
    # allocation; msgpack itself refuses reserved ext types and malformed
    # timestamps, as §5.3 requires.
    return msgpack.unpackb(data, raw=False, strict_map_key=False,
                           unicode_errors="surrogateescape", object_pairs_hook=pairs,
                           max_array_len=MAX_CONTAINER, max_map_len=MAX_CONTAINER)


def check_object(obj):
    """§5.3: one args, result or hello value: at most MAX_DEPTH containers
    nested (the outermost counting 1) and MAX_OBJECTS objects in all (each
    container and each scalar, map keys included)."""
    stack, count = [(obj, 1)], 0
    while stack:
        x, depth = stack.pop()
        count += 1
        if count > MAX_OBJECTS:
            raise ProtocolError(f"more than {MAX_OBJECTS} objects")
        if isinstance(x, (list, dict)):
            if depth > MAX_DEPTH:
                raise ProtocolError(f"nested deeper than {MAX_DEPTH}")
            if isinstance(x, Map):
                children = [c for pair in x for c in pair]
            elif isinstance(x, dict):
                children = [c for pair in x.items() for c in pair]
            else:
                children = x
            stack.extend((c, depth + 1) for c in children)


def is_uint(x, limit=2**64):
    return type(x) is int and 0 <= x < limit    # bool is not a uint


def utf8_len(s):
    return len(s.encode("utf-8", "surrogateescape"))


def clip(text, limit=1024):
    """`text` cut to at most `limit` UTF-8 bytes: the cap on `message` (§5)."""
    return text.encode("utf-8", "surrogateescape")[:limit].decode("utf-8", "ignore")


# --- §3.1 Hello ---------------------------------------------------------------

def encode_hello(port):
    # Keys in the order v, port, caps: the worked example (§9) depends on it.
    return pack({"v": 1, "port": port, "caps": []})


def decode_hello(data):
    """§3.1, in its order: the map's shape, then `v`, then the rest."""
    if len(data) > MAX_HELLO:
        raise ProtocolError(f"hello of {len(data)} bytes exceeds {MAX_HELLO}")
    try:
        hello = unpack(data, pairs=Map)     # every map as its pairs: duplicates show
    except Exception as e:
        raise ProtocolError(f"hello is not one msgpack object: {e}") from None
    if not isinstance(hello, Map) or len(hello) > 64:
        raise ProtocolError("hello is not a map of at most 64 entries")
    known = {}
    for key, value in hello:
        if not isinstance(key, str):
            raise ProtocolError("hello key is not a string")
        check_object(value)
        if key in ("v", "port", "caps"):
            if key in known:
                raise ProtocolError(f"hello key {key!r} twice")
            known[key] = value
    if not is_uint(known.get("v")):
        raise ProtocolError("hello `v` is missing or not a uint")
    if known["v"] != 1:
        raise ProtocolError(f"protocol version {known['v']}", reason="unsupported")
    port, caps = known.get("port"), known.get("caps")
    if not is_uint(port, 65536):
        raise ProtocolError("hello `port` is missing or not a uint16")
    if (type(caps) is not list or len(caps) > 32
            or any(not isinstance(c, str) or not 1 <= utf8_len(c) <= 64 for c in caps)):
        raise ProtocolError("hello `caps` is missing or not an array of at most 32 short strings")
    return {"v": 1, "port": port, "caps": caps}


# --- §3 Handshake --------------------------------------------------------------

class Handshake:
    """One side of Noise_XX_25519_ChaChaPoly_SHA256 (Noise rev 34), prologue "peernet/1".

        -> e                 message 1, payload empty
        <- e, ee, s, es      message 2, payload = responder's hello
        -> s, se             message 3, payload = initiator's hello

    `ephemeral_private` pins the ephemeral key, for the worked example only.
    """

    def __init__(self, initiator, static_private, hello, ephemeral_private=None):
        dh = X25519DH()
        static = dh.generate_keypair(PrivateKey(static_private))
        if ephemeral_private is not None:
            # dissononce draws `e` from dh.generate_keypair() inside
            # write_message; NoGenDH makes that return the fixed key.
            dh = NoGenDH(dh, PrivateKey(ephemeral_private))
        self._hs = HandshakeState(SymmetricState(CipherState(ChaChaPolyCipher()), SHA256Hash()), dh)
        self._hs.initialize(XXHandshakePattern(), initiator, PROLOGUE, s=static)
        self.initiator, self.hello, self.messages, self._split = initiator, hello, 0, None

    def write(self):
        payload = b"" if self.messages == 0 else self.hello
        out = bytearray()
        try:
            self._split = self._hs.write_message(payload, out) or self._split
        except Exception as e:      # e.g. a low-order remote ephemeral key
            raise HandshakeError(f"writing message {self.messages + 1}: {e!r}") from None
        self.messages += 1
        return bytes(out)

    def read(self, message):
        """The payload of the next message; message 2's makes `remote_static` available."""
        if self.messages == 0 and len(message) != 32:
            raise HandshakeError(f"message 1 has {len(message)} bytes, not 32")
        payload = bytearray()
        try:
            self._split = self._hs.read_message(bytes(message), payload) or self._split
        except Exception as e:      # decryption failure, short message, bad key
            raise HandshakeError(f"reading message {self.messages + 1}: {e!r}") from None
        self.messages += 1
        return bytes(payload)

    @property
    def remote_static(self):
        return self._hs.rs.data if self._hs.rs is not None else None

    @property
    def ephemeral_public(self):
        return self._hs.e.public.data

    @property
    def handshake_hash(self):
        return self._hs.symmetricstate.get_handshake_hash()

    def transport(self):
        """(send, receive) cipher states after Split(): §3.2."""
        c1, c2 = self._split
        return (Cipher(c1), Cipher(c2)) if self.initiator else (Cipher(c2), Cipher(c1))


class Cipher:
    """One direction's transport cipher state: ad empty, n from 0 (§3.2), rekeyed per §6."""

    def __init__(self, state):
        self._state, self.n, self.rekeys = state, 0, 0
        self.since_rekey, self.rekeyed_at = 0, time.monotonic()

    @property
    def key(self):
        return self._state._key     # dissononce has no public accessor

    def encrypt(self, plaintext):
        if self.n >= MAX_NONCE - 1:
            raise ProtocolError("send nonce exhausted", reason="nonce_exhausted")
        out = self._state.encrypt_with_ad(b"", plaintext)
        self.n, self.since_rekey = self.n + 1, self.since_rekey + 1
        return out

    def decrypt(self, ciphertext):
        try:
            out = self._state.decrypt_with_ad(b"", ciphertext)
        except Exception:
            raise ProtocolError("transport message failed to decrypt") from None
        self.n += 1
        return out

    def rekey(self):
        # §6: k = first 32 bytes of ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes),
        # and n is NOT reset. Done by hand: dissononce 0.34's CipherState.rekey()
        # keeps all 48 bytes (ciphertext and tag) as the key and resets n to 0.
        key = ChaChaPolyCipher().encrypt(self.key, MAX_NONCE, b"", bytes(32))[:32]
        self._state.initialize_key(key)
        self._state.set_nonce(self.n)
        self.rekeys, self.since_rekey, self.rekeyed_at = self.rekeys + 1, 0, time.monotonic()


# --- §4 Records ------------------------------------------------------------------

def record(kind, body):
    return struct.pack(">BH", kind, len(body)) + body


class RecordWriter:
    """Packs queued envelopes into plaintexts, FIFO, by the policy of §4.1
    (the one peernetd follows; the worked example of §9 depends on it)."""

    def __init__(self):
        self.queue, self.offset = collections.deque(), 0   # offset: bytes of queue[0] written

    def __bool__(self):
        return bool(self.queue)

    def push(self, envelope):
        self.queue.append(envelope)

    def write(self, rekey=False):
        """The next plaintext; with `rekey` it ends with a REKEY record."""
        out = bytearray()
        room = MAX_PLAINTEXT - (3 if rekey else 0)
        while self.queue:
            env = self.queue[0]
            if self.offset:                     # the rest of a fragmented envelope
                chunk = env[self.offset:self.offset + room - 3]
                out += record(FRAGMENT_MORE, chunk)
            elif 3 + len(env) <= room:
                chunk = env
                out += record(ENVELOPE, env)
            elif len(env) <= MAX_PLAINTEXT - 3 and out:
                break                           # whole, at the start of the next plaintext
            elif room < 3 + 4 + 1:
                break
            else:
                chunk = env[:room - 7]
                out += record(FRAGMENT_FIRST, struct.pack(">I", len(env)) + chunk)
                room -= 4
            room -= 3 + len(chunk)
            self.offset += len(chunk)
            if self.offset < len(env):
                break                           # this plaintext is full
            self.queue.popleft()
            self.offset = 0
        if rekey:
            out += record(REKEY, b"")
        return bytes(out)


class Session:
    """The transport phase: envelopes (encoded) in, Noise messages out, and back (§4, §6)."""

    def __init__(self, handshake, max_envelope=MAX_ENVELOPE,
                 rekey_messages=REKEY_MESSAGES, rekey_seconds=REKEY_SECONDS):
        self.send, self.recv = handshake.transport()
        self.max_envelope = max_envelope
        self.rekey_messages, self.rekey_seconds = rekey_messages, rekey_seconds
        self._partial, self._total = None, 0     # a fragmented envelope being reassembled
        self.writer = RecordWriter()
        self.stats = dict(messages_sent=0, messages_received=0,
                          envelopes_sent=0, envelopes_received=0)

    def seal(self, envelopes, rekey=False, closing=False):
        """[(plaintext, frame body)] carrying `envelopes` (§4.1).

        Each message whose count since the last rekey reaches rekey_messages
        (that message included) ends with REKEY, and so does the next one
        when `rekey` asks for it or the time bound has passed; the send key
        is rekeyed right after that message (§6). Nothing follows a close,
        a REKEY included (`closing`).
        """
        for env in envelopes:
            self.writer.push(env)
        requested = not closing and (rekey or time.monotonic() - self.send.rekeyed_at >= self.rekey_seconds)
        out = []
        while self.writer or requested:
            due = not closing and (requested or self.send.since_rekey + 1 >= self.rekey_messages)
            plaintext = self.writer.write(due)
            out.append((plaintext, self.send.encrypt(plaintext)))
            if due:
                self.send.rekey()
                requested = False
        self.stats["messages_sent"] += len(out)
        self.stats["envelopes_sent"] += len(envelopes)
        return out

    def open(self, body):
        """The whole envelopes (encoded) completed by one transport message."""
        plaintext = self.recv.decrypt(body)
        envelopes, rekey, off = [], False, 0
        if not plaintext:
            raise ProtocolError("transport message without records")
        while off < len(plaintext):
            if rekey:
                raise ProtocolError("REKEY record is not last in its message")
            if len(plaintext) - off < 3:
                raise ProtocolError("truncated record header")
            kind, length = struct.unpack_from(">BH", plaintext, off)
            body = plaintext[off + 3:off + 3 + length]
            if len(body) != length:
                raise ProtocolError("truncated record body")
            off += 3 + length
            if kind == REKEY:
                if length:
                    raise ProtocolError("REKEY record with a body")
                rekey = True
            elif kind == FRAGMENT_MORE:
                if self._partial is None:
                    raise ProtocolError("FRAGMENT_MORE without FRAGMENT_FIRST")
                if length == 0:
                    raise ProtocolError("empty FRAGMENT_MORE record")
                if length > self._total - len(self._partial):
                    raise ProtocolError("FRAGMENT_MORE overruns the envelope's total")
                self._partial += body
            elif self._partial is not None:
                raise ProtocolError("record inside a fragmented envelope")
            elif kind == ENVELOPE:
                if length == 0:
                    raise ProtocolError("empty ENVELOPE record")
                if length > self.max_envelope:
                    raise ProtocolError(f"envelope of {length} bytes", "payload_too_large")
                envelopes.append(body)
            elif kind == FRAGMENT_FIRST:
                if length <= 4:
                    raise ProtocolError("FRAGMENT_FIRST without a total and a first chunk")
                (self._total,) = struct.unpack_from(">I", body)
                if self._total == 0:
                    raise ProtocolError("fragmented envelope of 0 bytes")
                if self._total > self.max_envelope:   # checked before allocating
                    raise ProtocolError(f"envelope of {self._total} bytes", "payload_too_large")
                if length - 4 > self._total:
                    raise ProtocolError("FRAGMENT_FIRST chunk is longer than the envelope's total")
                self._partial = bytearray(body[4:])
            else:
                raise ProtocolError(f"unknown record type {kind}")
            if self._partial is not None and len(self._partial) == self._total:
                envelopes.append(bytes(self._partial))
                self._partial = None
        if rekey:
            self.recv.rekey()
        self.stats["messages_received"] += 1
        self.stats["envelopes_received"] += len(envelopes)
        return envelopes


# --- §5 Envelopes ----------------------------------------------------------------

def decode_envelope(data):
    """A validated envelope as a list; strict as §5 requires."""
    try:
        env = unpack(data)
    except Exception as e:
        raise ProtocolError(f"envelope is not one msgpack object: {e!r}") from None
    if type(env) is not list or not env or not is_uint(env[0]) or env[0] not in LENGTHS:
        raise ProtocolError("envelope is not an array of a known type")
    kind = env[0]
    if len(env) != LENGTHS[kind]:
        raise ProtocolError(f"envelope type {kind} with {len(env)} elements")

    def need(ok, what):
        if not ok:
            raise ProtocolError(f"envelope type {kind}: bad {what}")

    def text(s, regex):
        return isinstance(s, str) and regex.match(s) is not None

    if kind in (CALL, REPLY, ERROR):
        # §5: 0 is never a call's id; a reply or error carrying it matches
        # no call and is dropped like any other unmatched answer.
        need(is_uint(env[1]) and (env[1] != 0 or kind != CALL), "request_id")
    if kind in (PING, PONG):
        need(is_uint(env[1]), "nonce")
    if kind in (CALL, SEND):
        need(text(env[-2], HANDLE_RE), "handle")
    if kind in (CALL, SEND, REPLY):
        check_object(env[-1])
    if kind in (ERROR, CLOSE):
        need(text(env[-2], CODE_RE), "code or reason")
        need(isinstance(env[-1], str) and utf8_len(env[-1]) <= 1024, "message")
    return env


def encode_envelope(env):
    """Encode our own envelope, holding it to the rules we hold the other side to."""
    data = pack(env)
    try:
        decode_envelope(data)
    except ProtocolError as e:
        raise ValueError(str(e)) from None
    return data


# --- One connection ----------------------------------------------------------------

class Peer:
    """One connection to one peer, blocking, single-threaded.

    `log` receives dicts describing what happened (the CLI prints them).
    """

    def __init__(self, private_key, trusted=(), port=0, log=None, **session_options):
        self.private_key, self.public_key = private_key, public_key(private_key)
        self.trusted, self.port = set(trusted), port
        self.log = log or (lambda event: None)
        self.session_options = session_options
        self.max_envelope = session_options.get("max_envelope", MAX_ENVELOPE)
        self.sock = self.session = self.remote_key = self.remote_hello = None
        self.handlers, self._rbuf, self._outbox = {}, bytearray(), []
        self._waiting, self._answers, self._pings, self._pongs = set(), {}, set(), set()
        self.send_reports = []           # (handle, code) of our sends the peer reported (§5.1)
        self._unanswered = set()     # ids of calls we received and never answer (NO_REPLY)

    # Frames (§2). Bytes stay in _rbuf across a timeout, so a timed-out call
    # does not desynchronise the stream.
    def _fill(self, deadline):
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError("timed out")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("timed out") from None
        except OSError as e:
            raise Closed("eof", str(e)) from None
        if not chunk:
            raise Closed("eof", "end of stream")
        self._rbuf += chunk

    def _read_frame(self, deadline):
        while True:
            if len(self._rbuf) >= 4:
                length = int.from_bytes(self._rbuf[:4], "big")
                if not 1 <= length <= MAX_FRAME:     # judged before the body arrives
                    raise ProtocolError(f"frame length {length}")
                if len(self._rbuf) >= 4 + length:
                    body = bytes(self._rbuf[4:4 + length])
                    del self._rbuf[:4 + length]
                    return body
            self._fill(deadline)

    def _write_frame(self, body):
        self.sock.settimeout(DEAD_PEER)
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    # Handshake (§3).
    def dial(self, host, port, expected_key=None, timeout=HANDSHAKE_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        deadline = time.monotonic() + timeout
        hs = Handshake(True, self.private_key, encode_hello(self.port))
        try:
            self._write_frame(hs.write())                       # -> e
            hello = hs.read(self._read_frame(deadline))         # <- e, ee, s, es
            key = hs.remote_static
            # §3: the hello, then the trust check, and either failing means
            # no message 3, so an untrusted responder never learns who
            # dialled it.
            self.remote_hello = decode_hello(hello)
            if key not in self.trusted or expected_key not in (None, key):
                raise HandshakeError(f"untrusted responder {key.hex()}")
            self._write_frame(hs.write())                       # -> s, se
        except (PeerError, TimeoutError, OSError) as e:
            self.sock.close()
            self.sock = None
            raise e if isinstance(e, HandshakeError) else HandshakeError(str(e)) from None
        self._established(hs)
        return self

    def accept(self, sock, timeout=HANDSHAKE_TIMEOUT):
        self.sock, deadline = sock, time.monotonic() + timeout
        hs = Handshake(False, self.private_key, encode_hello(self.port))
        stage = "message 1"
        try:
            hs.read(self._read_frame(deadline))                 # -> e
            self._write_frame(hs.write())                       # <- e, ee, s, es
            stage = "message 3"
            hello = hs.read(self._read_frame(deadline))         # -> s, se
        except (PeerError, TimeoutError, OSError) as e:
            self.sock.close()
            self.sock = None
            raise HandshakeError(f"awaiting {stage}: {e}") from None
        self._established(hs)
        # §3: the hello, then the trust check; the responder's first transport
        # message says why it refuses either.
        try:
            self.remote_hello = decode_hello(hello)
        except ProtocolError as e:
            self.close(e.reason, str(e))
            raise HandshakeError(str(e)) from None
        if self.remote_key not in self.trusted:
            self.close("untrusted_peer", "you are not on this peer's trust list")
            raise HandshakeError(f"untrusted initiator {self.remote_key.hex()}")
        return self

    def _established(self, hs):
        self.remote_key = hs.remote_static
        self.session = Session(hs, **self.session_options)

    # Sending: envelopes queue up and one flush coalesces them (§4).
    def _queue(self, env):
        data = encode_envelope(env)
        if len(data) > self.max_envelope:
            raise TooLarge(f"envelope of {len(data)} bytes exceeds {self.max_envelope}")
        self._outbox.append(data)

    def _flush(self, closing=False):
        batch, self._outbox = self._outbox, []
        for _, body in (self.session.seal(batch, closing=closing) if batch else []):
            self._write_frame(body)

    # Receiving.
    def _pump(self, deadline):
        """Read one transport message, act on its envelopes, then flush answers.

        §4.2: a message is acted on whole or not at all, so every envelope is
        decoded before the first is dispatched. A close ends the dispatch
        (§5.1: nothing after it is read).
        """
        try:
            envelopes = [decode_envelope(data)
                         for data in self.session.open(self._read_frame(deadline))]
            for env in envelopes:
                self._dispatch(env)
            self._flush()
        except ProtocolError as e:
            self._outbox.clear()             # §4.2: only the close goes out
            self.close(e.reason, str(e))     # §5: best effort
            raise Closed(e.reason, f"sent by us: {e}") from None
        except Closed:
            self._drop()
            raise

    def _dispatch(self, env):
        kind = env[0]
        if kind in (CALL, SEND):
            handle, args = env[-2], env[-1]
            self.log({"event": "call" if kind == CALL else "send", "handle": handle, "args": args})
            fn = self.handlers.get(handle)
            if kind == SEND:                 # §5.1: no reply; unknown handles reported
                if fn is None:
                    return self._queue([ERROR, 0, "no_such_handle", handle])
                try:
                    fn(args)
                except Exception:
                    pass
                return
            if env[1] in self._unanswered:
                # §5.1: a request id still pending from this peer; the first
                # call stays pending.
                return self._queue([ERROR, env[1], "bad_request",
                                    "request id of a call still pending"])
            if fn is None:
                return self._queue([ERROR, env[1], "no_such_handle", f"no handle {handle!r}"])
            try:
                result = fn(args)
                if result is NO_REPLY:
                    self._unanswered.add(env[1])
                else:
                    self._queue([REPLY, env[1], result])
            except RemoteError as e:
                self._queue([ERROR, env[1], e.code, clip(e.message)])
            except TooLarge as e:
                self._queue([ERROR, env[1], "payload_too_large", str(e)])
            except Exception as e:      # a failing handler, or a result we cannot encode
                self._queue([ERROR, env[1], "handler_failed", clip(repr(e))])
        elif kind == ERROR and env[1] == 0:  # §5.1: a send report names the handle
            self.send_reports.append((env[3], env[2]))
        elif kind in (REPLY, ERROR):
            if env[1] in self._waiting:      # a late answer to an abandoned call is dropped
                self._answers[env[1]] = env
        elif kind == PING:
            self._queue([PONG, env[1]])      # §5.1: every peer answers pings
        elif kind == PONG and env[1] in self._pings:
            self._pongs.add(env[1])
        elif kind == CLOSE:
            raise Closed(env[1], env[2])

    # The API.
    def start_call(self, handle, args):
        """Queue a call; returns its request id. Flush by waiting on it."""
        rid = 0
        while rid == 0 or rid in self._waiting:  # §5: random, non-zero, unique
            rid = secrets.randbits(64)
        self._queue([CALL, rid, handle, args])
        self._waiting.add(rid)
        return rid

    def wait(self, rid, timeout=10.0):
        """The result of call `rid`; raises RemoteError, TimeoutError or Closed."""
        deadline = time.monotonic() + timeout
        try:
            self._flush()
            while rid not in self._answers:
                self._pump(deadline)
        finally:
            self._waiting.discard(rid)
        env = self._answers.pop(rid)
        if env[0] == ERROR:
            raise RemoteError(env[2], env[3])
        return env[2]

    def call(self, handle, args, timeout=10.0):
        return self.wait(self.start_call(handle, args), timeout)

    def send(self, handle, args, flush=True):
        self._queue([SEND, handle, args])
        if flush:
            self._flush()

    def ping(self, timeout=10.0):
        """Round-trip time in seconds."""
        nonce, start = secrets.randbits(64), time.monotonic()
        self._queue([PING, nonce])
        self._pings.add(nonce)
        try:
            self._flush()
            while nonce not in self._pongs:
                self._pump(start + timeout)
        finally:
            self._pings.discard(nonce)
        self._pongs.discard(nonce)
        return time.monotonic() - start

    def serve(self, handlers, idle=DEAD_PEER):
        """Answer calls, sends and pings until the connection ends; returns the Closed."""
        self.handlers = dict(handlers)
        while True:
            try:
                self._pump(time.monotonic() + idle)
            except TimeoutError:
                self.close("timeout", f"nothing heard for {idle:g} s")
                return Closed("timeout", "sent by us")
            except Closed as c:
                return c

    def close(self, reason="shutdown", message=""):
        """Send `close` (§5.1), then end the stream gracefully."""
        if self.sock is None:
            return
        try:
            if self.session is not None:
                self._outbox.append(pack([CLOSE, reason, clip(message)]))
                self._flush(closing=True)
            self.sock.shutdown(socket.SHUT_WR)
            # Read until the other side closes too (bounded): closing with
            # unread input makes the kernel send a reset, which can destroy our
            # `close` before the other side has read it.
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                self._rbuf.clear()
                self._fill(end)
        except (PeerError, TimeoutError, OSError):
            pass
        self._drop()

    def _drop(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


# --- CLI -------------------------------------------------------------------------------
# Exit codes: 0 ok, 1 connection or protocol failure, 2 usage, 3 remote error,
# 4 handshake or trust failure, 5 timeout.

def jsonable(obj):
    if isinstance(obj, Map):
        return {"map": [[jsonable(k), jsonable(v)] for k, v in obj]}
    if isinstance(obj, dict):
        return {k if isinstance(k, str) else json.dumps(jsonable(k)): jsonable(v)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [jsonable(x) for x in obj]
    if isinstance(obj, bytes):
        return {"bin": obj.hex()}
    if isinstance(obj, msgpack.ExtType):
        return {"ext": obj.code, "data": obj.data.hex()}
    if isinstance(obj, msgpack.Timestamp):
        return {"timestamp": obj.to_unix_nano()}
    return obj


def dumps(obj):
    return json.dumps(jsonable(obj), sort_keys=True, separators=(",", ":"))


def hex_key(text):
    key = bytes.fromhex(text)
    if len(key) != 32:
        raise argparse.ArgumentTypeError("a key is 64 hex digits")
    return key


def address(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def args_json(text):
    if text == "-":
        return json.load(sys.stdin)
    if text.startswith("@"):    # a file: 200 KiB does not fit in one argv string
        with open(text[1:]) as f:
            return json.load(f)
    return json.loads(text)


def cmd_keygen(opts):
    private = opts.private or generate_private()
    print("private", private.hex())
    print("public", public_key(private).hex())
    return 0


def cmd_call(opts):
    if opts.command != "ping":
        try:    # refuse a bad handle or args before dialling
            encode_envelope([CALL, 1, opts.handle, opts.args])
        except (ValueError, TypeError) as e:
            print(f"bad call: {e}", file=sys.stderr)
            return 2
    peer = Peer(opts.key, opts.trust, max_envelope=opts.max_envelope,
                rekey_messages=opts.rekey_every)
    try:
        peer.dial(*opts.connect, expected_key=opts.expect, timeout=opts.handshake_timeout)
    except HandshakeError as e:
        print(f"handshake failed: {e}", file=sys.stderr)
        return 4
    except OSError as e:
        print(f"cannot connect: {e}", file=sys.stderr)
        return 1
    try:
        if opts.command == "send":
            peer.send(opts.handle, opts.args)
            return 0
        if opts.command == "ping":
            print(dumps({"rtt_ms": round(peer.ping(opts.timeout) * 1000, 3)}))
            return 0
        # --repeat N pipelines N calls: one flush coalesces them (§4).
        rids = [peer.start_call(opts.handle, opts.args) for _ in range(opts.repeat)]
        for rid in rids:
            print(dumps(peer.wait(rid, opts.timeout)), flush=True)
        return 0
    except RemoteError as e:
        print(dumps({"code": e.code, "message": e.message}))
        return 3
    except TimeoutError:
        print(f"timed out after {opts.timeout:g} s", file=sys.stderr)
        return 5
    except Closed as e:
        print(f"connection closed: {e}", file=sys.stderr)
        return 4 if e.reason == "untrusted_peer" else 1
    except OSError as e:
        print(f"connection failed: {e}", file=sys.stderr)
        return 1
    finally:
        peer.close("shutdown")


def cmd_serve(opts):
    lock = threading.Lock()

    def log(event):
        with lock:
            print(dumps(event), flush=True)

    handlers = {h: (lambda args: args) for h in opts.echo}
    handlers.update({h: (lambda args: NO_REPLY) for h in opts.drop})
    family = socket.AF_INET6 if ":" in opts.listen[0] else socket.AF_INET
    listener = socket.create_server(opts.listen, family=family)
    port = listener.getsockname()[1]
    print("listening", port, flush=True)

    def connection(sock, source):
        peer = Peer(opts.key, opts.trust, port=port, log=log, max_envelope=opts.max_envelope,
                    rekey_messages=opts.rekey_every)
        try:
            peer.accept(sock, timeout=opts.handshake_timeout)
        except HandshakeError as e:
            return log({"event": "handshake_failed", "from": source, "error": str(e)})
        log({"event": "connected", "peer": peer.remote_key.hex(), "hello": peer.remote_hello})
        closed = peer.serve(handlers)
        log({"event": "closed", "peer": peer.remote_key.hex(), "reason": closed.reason,
             "message": closed.message, **peer.session.stats,
             "rekeys_sent": peer.session.send.rekeys, "rekeys_received": peer.session.recv.rekeys})

    while True:
        sock, source = listener.accept()
        threading.Thread(target=connection, args=(sock, f"{source[0]}:{source[1]}"),
                         daemon=True).start()


def main(argv=None):
    ap = argparse.ArgumentParser(description="An independent peernet protocol peer.")
    sub = ap.add_subparsers(dest="command", required=True)
    kg = sub.add_parser("keygen", help="print a new (or the given) private key and its public key")
    kg.add_argument("--private", type=hex_key)
    for name in ("call", "send", "ping", "serve"):
        p = sub.add_parser(name)
        p.add_argument("--key", type=hex_key, required=True, help="own static private key")
        p.add_argument("--trust", type=hex_key, action="append", default=[],
                       help="a trusted public key (repeatable)")
        p.add_argument("--max-envelope", type=int, default=MAX_ENVELOPE)
        p.add_argument("--rekey-every", type=int, default=REKEY_MESSAGES, metavar="MESSAGES")
        p.add_argument("--handshake-timeout", type=float, default=HANDSHAKE_TIMEOUT)
        if name == "serve":
            p.add_argument("--listen", type=address, required=True, metavar="HOST:PORT")
            p.add_argument("--echo", action="append", default=[], metavar="HANDLE")
            p.add_argument("--drop", action="append", default=[], metavar="HANDLE",
                           help="log calls to HANDLE but never answer them")
            continue
        p.add_argument("--connect", type=address, required=True, metavar="HOST:PORT")
        p.add_argument("--expect", type=hex_key, help="the public key the responder must have")
        p.add_argument("--timeout", type=float, default=10.0)
        if name == "ping":
            continue
        p.add_argument("--repeat", type=int, default=1)
        p.add_argument("handle")
        p.add_argument("args", type=args_json, metavar="ARGS_JSON", help="JSON, '-' or @FILE")
    opts = ap.parse_args(argv)
    if opts.command == "keygen":
        return cmd_keygen(opts)
    if opts.command == "serve":
        return cmd_serve(opts)
    return cmd_call(opts)


if __name__ == "__main__":
    sys.exit(main())
