#!/usr/bin/python3
"""The worked example of guides/protocol.md §9, computed from fixed keys.

Both sides run in memory through peernet_peer.py (an implementation written
from the document alone): the handshake, one call from the initiator and the
responder's reply. Prints §9 as Markdown, or with --json the same values for
the C++ tests to compare against (tests/interop/worked_example.json).
"""

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

    ini_session, res_session = pp.Session(ini), pp.Session(res)
    call_env = [pp.CALL, REQUEST_ID, "echo", {"text": "hello"}]
    reply_env = [pp.REPLY, REQUEST_ID, {"text": "hello"}]
    call, reply = pp.encode_envelope(call_env), pp.encode_envelope(reply_env)
    [(call_plain, call_body)] = ini_session.seal([call])
    check(res_session.open(call_body) == [call], "responder reads the call")
    [(reply_plain, reply_body)] = res_session.seal([reply])
    check(ini_session.open(reply_body) == [reply], "initiator reads the reply")
    return {
        "keys": KEYS, "public": pub, "hello": hello,
        "messages": [m1, m2, m3], "handshake_hash": ini.handshake_hash,
        "k_initiator_to_responder": ini_session.send.key,
        "k_responder_to_initiator": res_session.send.key,
        "call": (call_env, call, call_plain, call_body),
        "reply": (reply_env, reply, reply_plain, reply_body),
    }


def check(ok, what):
    if not ok:
        sys.exit(f"worked example is inconsistent: {what}")


def as_json(v):
    def transport(direction, t):
        env, data, plain, body = t
        return {"direction": direction, "envelope": env, "envelope_msgpack": data.hex(),
                "plaintext": plain.hex(), "nonce": 0, "frame": frame(body).hex()}

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
        "transport": [transport(names[0], v["call"]), transport(names[1], v["reply"])],
    }


def block(entries):
    """A fenced block of labelled hex values, 64 hex digits per line."""
    lines = ["```"]
    for label, data in entries:
        lines.append(f"{label} ({len(data)} bytes)")
        h = data.hex()
        lines += ["  " + h[i:i + 64] for i in range(0, len(h), 64)]
    return "\n".join(lines + ["```"])


def as_markdown(v):
    m1, m2, m3 = v["messages"]
    call_env, call, call_plain, call_body = v["call"]
    reply_env, reply, reply_plain, reply_body = v["reply"]
    pub, keys = v["public"], v["keys"]
    out = [
        "## 9. Worked example",
        "",
        "The keys are fixed: the initiator's static private key is the 32 bytes",
        "`01 02 … 20`, its ephemeral private key `21 … 40`, the responder's static",
        "private key `41 … 60` and its ephemeral private key `61 … 80`. Everything",
        "below was generated from them by `tests/interop/worked_example.py`, an",
        "independent implementation of this document (Python, dissononce, msgpack);",
        "`tests/interop/worked_example.json` holds the same values. Hex is wrapped at",
        "64 digits per line; frames are shown whole, length prefix first.",
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
        block([("call envelope msgpack", call),
               ("plaintext: records", call_plain),
               ("transport frame, initiator -> responder", frame(call_body)),
               ("reply envelope msgpack", reply),
               ("plaintext: records", reply_plain),
               ("transport frame, responder -> initiator", frame(reply_body))]),
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
