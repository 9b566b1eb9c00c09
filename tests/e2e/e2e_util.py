"""What the Python end-to-end tests share: failing with a reason, bounded
waits, a free loopback port, and peer ids from public keys (written from
guides/protocol.md §1, so the tests check the daemon against the guide).

Imported by tests/e2e/*_test.py from their own directory; standard library
only, for any python3 (Debian's or a venv)."""
import base64
import socket
import time


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def wait_for(seconds, what, fn):
    """fn() until it returns something true, at most `seconds`; that value."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise Fail(f"timed out after {seconds} s waiting for: {what}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Peer ids (guides/protocol.md §1): base32, four chunks with a Luhn mod 32 check each.
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def peer_id(key):
    """The peer id of a 32-byte public key."""
    text = base64.b32encode(key).decode().rstrip("=")
    out = ""
    for i in range(4):
        chunk = text[13 * i:13 * i + 13]
        s, factor = 0, 2
        for ch in reversed(chunk):
            p = B32.index(ch) * factor
            s += p // 32 + p % 32
            factor = 3 - factor
        out += chunk + B32[(32 - s % 32) % 32]
    return "-".join(out[i:i + 7] for i in range(0, 56, 7))


assert peer_id(bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")) == \
    "QUQPACM-JGCTVI6-5ELPXOL-IPXXLIC-G36OQNE-Y4BV5HQ-LUSUY5K-U3JZVA7"


class DaemonProcess:
    """A peernetd of its own: config, state, socket and logs under `tmp`,
    listening on a free loopback port (or `port`) with mDNS off, `toml`
    appended to its config. `procs` collects it, for the caller's cleanup.
    Returns once the daemon says its control socket is up."""

    def __init__(self, peernetd, tmp, procs, name, toml="", port=None):
        import os
        import subprocess
        self.name = name
        self.port = port or free_port()
        self.sock = os.path.join(tmp, name + ".sock")
        self.conf = os.path.join(tmp, name + ".toml")
        with open(self.conf, "w") as f:
            f.write(f'[discovery]\nmdns = false\n[daemon]\nlog_level = "info"\n'
                    f'[network]\nlisten = ["127.0.0.1:{self.port}"]\n{toml}\n')
        self.out_path = os.path.join(tmp, name + ".out")
        self.err_path = os.path.join(tmp, name + ".err")
        self.proc = subprocess.Popen(
            [peernetd, "--config", self.conf, "--state-dir", os.path.join(tmp, "state-" + name),
             "--socket", self.sock],
            stdout=open(self.out_path, "ab"), stderr=open(self.err_path, "ab"),
            stdin=subprocess.DEVNULL)
        procs.append(self.proc)
        wait_for(15, f"{name}'s control socket", lambda: "control socket: " in self.text("out"))

    def text(self, stream):
        """What the daemon wrote to stdout ("out") or stderr ("err")."""
        with open(self.out_path if stream == "out" else self.err_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def kib(self, field="VmRSS"):
        """A memory figure of /proc/PID/status (VmRSS, VmHWM), KiB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise Fail(f"no {field} for {self.name}")

    def stop(self):
        import signal
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
