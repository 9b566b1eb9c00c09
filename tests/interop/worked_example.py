#!/usr/bin/python3
"""The worked example of guides/protocol.md §9, computed from fixed keys.

Both sides run in memory through peernet_peer.py (an implementation written
from the document alone): the handshake, a call and its reply, a rekey, two
coalesced pongs and a fragmented envelope. Prints §9 as Markdown, or with
--json the same values for the C++ test to compare against
(tests/interop/worked_example.json, read by
tests/unit/proto/worked_example_test.cpp).
"""

import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peernet_peer as pp  # noqa: E402

KEYS = {
    "initiator_static": bytes(range(1, 33)),
    "initiator_ephemeral": bytes(range(33, 65)),
    "responder_static": bytes(range(65, 97)),
    "responder_ephemeral": bytes(range(97, 129)),
}
REQUEST_ID = 0x0102030405060708
PORT = 7469
BLOB = bytes(i % 256 for i in range(70000))
SHOWN_WHOLE = 256     # larger values appear as size, first bytes and SHA-256


def frame(body):
    return struct.pack(">I", len(body)) + body


def compute():
    """Every value of the example, as bytes; fails loudly if the two sides disagree."""
    hello = pp.encode_hello(PORT)
    ini = pp.Handshake(True, KEYS["initiator_static"], hello, KEYS["initiator_ephemeral"])
    res = pp.Handshake(False, KEYS["responder_static"], hello, KEYS["responder_ephemeral"])
    m1 = ini.write()
    res.read(m1)
    m2 = res.write()
    got2 = ini.read(m2)
    m3 = ini.write()
    got3 = res.read(m3)
    pub = {name: pp.public_key(priv) for name, priv in KEYS.items()}
    check(got2 == hello and got3 == hello, "hello payloads")
    check(ini.remote_static == pub["responder_static"], "initiator sees the responder's key")
    check(res.remote_static == pub["initiator_static"], "responder sees the initiator's key")
    check(ini.ephemeral_public == pub["initiator_ephemeral"] == m1, "message 1 is e")
    check(ini.handshake_hash == res.handshake_hash, "handshake hashes")

    sessions = {"initiator": pp.Session(ini), "responder": pp.Session(res)}
    keys = (sessions["initiator"].send.key, sessions["responder"].send.key)
    steps = []

    def flush(sender, values, rekey=False, display=None):
        """One flush by `sender`, read by the other side."""
        session = sessions[sender]
        receiver = sessions["responder" if sender == "initiator" else "initiator"]
        envelopes = [pp.encode_envelope(v) for v in values]
        nonce = session.send.n
        sealed = session.seal(envelopes, rekey=rekey)
        got = [e for _, body in sealed for e in receiver.open(body)]
        check(got == envelopes, f"{sender}'s step {len(steps) + 1} is read back")
        steps.append({
            "sender": sender, "values": display or values, "envelopes": envelopes,
            "rekey_requested": rekey,
            "messages": [{"nonce": nonce + i, "plaintext": p, "body": b,
                          "rekey": p[-3:] == pp.record(pp.REKEY, b"")}
                         for i, (p, b) in enumerate(sealed)],
            "key_after": session.send.key if rekey else None,
        })

    flush("initiator", [[pp.CALL, REQUEST_ID, "echo", {"text": "hello"}]])
    flush("responder", [[pp.REPLY, REQUEST_ID, {"text": "hello"}]])
    flush("initiator", [[pp.PING, 1]], rekey=True)
    flush("initiator", [[pp.PING, 2]])
    flush("responder", [[pp.PONG, 1], [pp.PONG, 2]])
    flush("initiator", [[pp.SEND, "blob", BLOB], [pp.PING, 3]],
          display=[[pp.SEND, "blob", {"bin": "70000 bytes, byte i = i mod 256"}], [pp.PING, 3]])
    return {
        "keys": KEYS, "public": pub, "hello": hello,
        "messages": [m1, m2, m3], "handshake_hash": ini.handshake_hash,
        "k_initiator_to_responder": keys[0], "k_responder_to_initiator": keys[1],
        "steps": steps,
    }


def check(ok, what):
    if not ok:
        sys.exit(f"worked example is inconsistent: {what}")


def value(name, data):
    """`data` as hex, or by size, first bytes and SHA-256 when it is large."""
    if len(data) <= SHOWN_WHOLE:
        return {name: data.hex()}
    return {name + "_size": len(data), name + "_head": data[:16].hex(),
            name + "_sha256": hashlib.sha256(data).hexdigest()}


def direction(sender):
    return "initiator -> responder" if sender == "initiator" else "responder -> initiator"


def as_json(v):
    def transport(step):
        out = {"direction": direction(step["sender"]),
               "envelopes": [{"value": val, **value("msgpack", data)}
                             for val, data in zip(step["values"], step["envelopes"])],
               "rekey_requested": step["rekey_requested"],
               "messages": [{"nonce": m["nonce"], "rekey": m["rekey"],
                             **value("plaintext", m["plaintext"]),
                             **value("frame", frame(m["body"]))} for m in step["messages"]]}
        if step["key_after"] is not None:
            out["key_after_rekey"] = step["key_after"].hex()
        return out

    names = ["initiator -> responder", "responder -> initiator", "initiator -> responder"]
    return {
        "protocol": "Noise_XX_25519_ChaChaPoly_SHA256",
        "prologue": pp.PROLOGUE.hex(),
        "keys": {name: {"private": priv.hex(), "public": v["public"][name].hex()}
                 for name, priv in v["keys"].items()},
        "hello": {"value": {"v": 1, "port": PORT, "caps": []}, "msgpack": v["hello"].hex()},
        "handshake": [{"message": i + 1, "direction": names[i], "frame": frame(m).hex()}
                      for i, m in enumerate(v["messages"])],
        "handshake_hash": v["handshake_hash"].hex(),
        "transport_keys": {"initiator_to_responder": v["k_initiator_to_responder"].hex(),
                           "responder_to_initiator": v["k_responder_to_initiator"].hex()},
        "transport": [transport(step) for step in v["steps"]],
    }


def block(entries):
    """A fenced block of labelled hex values, 64 hex digits per line; a
    large value by its first 16 bytes and its SHA-256."""
    lines = ["```"]
    for label, data in entries:
        if len(data) > SHOWN_WHOLE:
            lines += [f"{label} ({len(data)} bytes; first 16 bytes, SHA-256)",
                      "  " + data[:16].hex(), "  " + hashlib.sha256(data).hexdigest()]
            continue
        lines.append(f"{label} ({len(data)} bytes)")
        h = data.hex()
        lines += ["  " + h[i:i + 64] for i in range(0, len(h), 64)]
    return "\n".join(lines + ["```"])


def step_block(step, names):
    """The envelopes of one flush, then each message's plaintext and frame."""
    entries = [(f"{name} envelope msgpack", data) for name, data in zip(names, step["envelopes"])]
    for m in step["messages"]:
        entries += [(f"plaintext, nonce {m['nonce']}: records", m["plaintext"]),
                    (f"transport frame, {direction(step['sender'])}", frame(m["body"]))]
    if step["key_after"] is not None:
        entries.append((f"{step['sender']}'s sending key after REKEY", step["key_after"]))
    return block(entries)


def as_markdown(v):
    m1, m2, m3 = v["messages"]
    call, reply, ping1, ping2, pongs, blob = v["steps"]
    pub, keys = v["public"], v["keys"]
    blob_env = blob["envelopes"][0]
    first, second = (m["plaintext"] for m in blob["messages"])
    out = [
        "## 9. Worked example",
        "",
        "The keys are fixed: the initiator's static private key is the 32 bytes",
        "`01 02 … 20`, its ephemeral private key `21 … 40`, the responder's static",
        "private key `41 … 60` and its ephemeral private key `61 … 80`. Everything",
        "below was generated from them by `tests/interop/worked_example.py`, an",
        "independent implementation of this document (Python, dissononce, msgpack);",
        "`tests/interop/worked_example.json` holds the same values, and",
        "`tests/unit/proto/worked_example_test.cpp` reproduces them with peernetd's C++",
        "implementation. Hex is wrapped at 64 digits per line; frames are shown",
        "whole, length prefix first; values",
        f"above {SHOWN_WHOLE} bytes are shown by their first 16 bytes and their SHA-256.",
        "",
        "### 9.1 Keys",
        "",
        block([(f"{name.replace('_', ' ')} {kind}", data)
               for name in keys for kind, data in (("private", keys[name]), ("public", pub[name]))]),
        "",
        "### 9.2 Hello",
        "",
        f'Both sides send the hello `{{"v": 1, "port": {PORT}, "caps": []}}`: a map with',
        "its keys in this order, every value in its smallest encoding.",
        "",
        block([("hello msgpack", v["hello"])]),
        "",
        "### 9.3 Handshake",
        "",
        "Message 1's body is the initiator's ephemeral public key (32 bytes).",
        "Message 2's is the responder's ephemeral public key (32), its encrypted",
        f"static key (32 + 16) and its encrypted hello ({len(v['hello'])} + 16): {len(m2)} bytes.",
        "Message 3's is the initiator's encrypted static key (48) and encrypted",
        f"hello: {len(m3)} bytes. After message 3, Split() gives the initiator's",
        "sending key (first output) and the responder's sending key (second).",
        "",
        block([("prologue", pp.PROLOGUE),
               ("message 1 frame, initiator -> responder", frame(m1)),
               ("message 2 frame, responder -> initiator", frame(m2)),
               ("message 3 frame, initiator -> responder", frame(m3)),
               ("handshake hash h", v["handshake_hash"]),
               ("key initiator -> responder", v["k_initiator_to_responder"]),
               ("key responder -> initiator", v["k_responder_to_initiator"])]),
        "",
        "### 9.4 A call and its reply",
        "",
        "The initiator's first transport message (nonce 0) carries one ENVELOPE record",
        f"with the call `[1, 0x{REQUEST_ID:016x}, \"echo\", {{\"text\": \"hello\"}}]`; the request",
        "id is a uint64 (`cf`). The responder's first transport message (nonce 0)",
        f"carries the reply `[2, 0x{REQUEST_ID:016x}, {{\"text\": \"hello\"}}]`.",
        "",
        step_block(call, ["call"]),
        "",
        step_block(reply, ["reply"]),
        "",
        "### 9.5 Rekeying and coalescing",
        "",
        "The initiator asks to rekey (as the time bound of §6 would) and sends the",
        "ping `[5, 1]`: its message of nonce 1 ends with a REKEY record, and right",
        "after sending it the initiator rekeys its sending key. Its next message,",
        "the ping `[5, 2]`, is encrypted with the new key under nonce 2 (the nonce",
        "is not reset). The responder rekeys its receiving key after decrypting",
        "nonce 1, and answers both pings in one flush: one message (its nonce 1)",
        "with two ENVELOPE records, the pongs `[6, 1]` and `[6, 2]`.",
        "",
        step_block(ping1, ["ping 1"]),
        "",
        step_block(ping2, ["ping 2"]),
        "",
        step_block(pongs, ["pong 1", "pong 2"]),
        "",
        "### 9.6 A fragmented envelope",
        "",
        "The initiator flushes the send `[4, \"blob\", <bin>]`, whose bin holds",
        f"{len(BLOB)} bytes where byte i is i mod 256 ({len(blob_env)} bytes of msgpack,",
        "too large for one message), and then the ping `[5, 3]`. By §4.1 the first",
        f"message (nonce 3) is one FRAGMENT_FIRST record: the total {len(blob_env)}",
        f"(`{len(blob_env):08x}`) and the envelope's first {len(first) - 7} bytes, filling",
        f"the plaintext to {len(first)} bytes. The second (nonce 4) holds a FRAGMENT_MORE",
        f"record with the other {len(blob_env) - (len(first) - 7)} bytes and the ping's ENVELOPE record:",
        f"{len(second)} bytes. The responder hands out the send and the ping on",
        "reading the second message.",
        "",
        step_block(blob, ["send", "ping 3"]),
    ]
    return "\n".join(out) + "\n"


def main():
    v = compute()
    if sys.argv[1:] == ["--json"]:
        print(json.dumps(as_json(v), indent=2))
    elif not sys.argv[1:]:
        sys.stdout.write(as_markdown(v))
    else:
        sys.exit("usage: worked_example.py [--json]")


if __name__ == "__main__":
    main()
