#!/usr/bin/python3
"""The layering rules of ARCHITECTURE.md, checked on every quoted #include.

proto/ is the sans-IO core: it includes nothing outside proto/ and none of
the headers that would give it I/O (libuv, toml++, sockets). In daemon/, a
folder may include its own files, proto/ and the folders below it, never one
above:

    uv  <  base  <  store  <  config  <  peers  <  discovery, handles, pairing
              <  daemon.hpp, service (daemon/'s root)  <  control  <  main.cpp

(daemon/uv/ is also its own Meson library, compiled without daemon/'s
include directory, so the compiler enforces its part.) ctl/ sees proto/,
itself and the public header of clients/cpp/, never daemon/. clients/cpp/
(libpeernet-client) sees its own headers, ctl/ and proto/; its public
headers (clients/cpp/include/peernet/) include only standard headers and
each other, so that no internal type leaks into the installed API.

It also holds the tree to its descriptions: no folder of proto/ or daemon/
has more than 25 entries (a folder that grows past that wants splitting);
every folder of daemon/, proto/ and clients/ is described in README.md's
Layout and in ARCHITECTURE.md; and no comment justifies code by a document that is not in
the repository. Usage: layering_test.py SOURCE_ROOT
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
root = os.path.abspath(root)

# Rank of each part of daemon/; a file may include ranks <= its own, and of
# equal rank only its own folder.
RANKS = {
    "uv": 0,
    "base": 1,
    "store": 2,
    "config": 3,
    "peers": 4,
    "discovery": 5, "handles": 5, "pairing": 5,
    "(root)": 6,
    "control": 7,
    "main": 8,
}
# Headers that would give proto/ I/O or an event loop.
PROTO_FORBIDDEN = ("uv.h", "toml++/", "sys/socket.h", "netinet/", "ifaddrs.h", "sys/epoll.h",
                   "fcntl.h", "unistd.h", "sys/stat.h")

INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^">]+)[">]', re.M)


def part_of(path):
    """The daemon part a file under daemon/ belongs to."""
    rel = os.path.relpath(path, os.path.join(root, "daemon"))
    head = rel.split(os.sep)[0]
    if rel == "main.cpp":
        return "main"
    return head if os.sep in rel else "(root)"


def resolve(inc, includer, search):
    for base in [os.path.dirname(includer)] + search:
        cand = os.path.normpath(os.path.join(base, inc))
        if os.path.isfile(cand):
            return cand
    return None


def sources(top):
    for dirpath, _, files in os.walk(os.path.join(root, top)):
        for f in files:
            if f.endswith((".cpp", ".hpp")):
                yield os.path.join(dirpath, f)


def quoted_includes(path):
    """The files `path` includes with quotes: <...> headers are the system's,
    not a layer of ours."""
    text = open(path, encoding="utf-8").read()
    return [inc for kind, inc in INCLUDE.findall(text) if kind == '"']


problems = []
proto_search = [os.path.join(root, "proto", "include"), os.path.join(root, "proto", "json", "include")]
daemon_search = [os.path.join(root, "daemon")] + proto_search
public_search = [os.path.join(root, "clients", "cpp", "include")]
ctl_search = [os.path.join(root, "ctl"), os.path.join(root, "ctl", "include")] + proto_search + public_search
checked = 0

for path in sources("proto"):
    text = open(path, encoding="utf-8").read()
    for kind, inc in INCLUDE.findall(text):
        checked += 1
        if kind == "<":
            if any(inc.startswith(bad) for bad in PROTO_FORBIDDEN):
                problems.append(f"{os.path.relpath(path, root)}: <{inc}> gives proto/ I/O")
            continue
        target = resolve(inc, path, proto_search)
        if target is None or not target.startswith(os.path.join(root, "proto") + os.sep):
            problems.append(f'{os.path.relpath(path, root)}: "{inc}" is outside proto/')

for path in sources("daemon"):
    mine = part_of(path)
    for inc in quoted_includes(path):
        checked += 1
        target = resolve(inc, path, daemon_search)
        if target is None:
            problems.append(f'{os.path.relpath(path, root)}: "{inc}" not found')
            continue
        if not target.startswith(os.path.join(root, "daemon") + os.sep):
            continue  # proto/, json/
        theirs = part_of(target)
        if theirs == mine:
            continue
        if RANKS[theirs] >= RANKS[mine]:
            problems.append(f'{os.path.relpath(path, root)} ({mine}) includes "{inc}" ({theirs}),'
                            " which is not below it")

for path in sources("ctl"):
    for inc in quoted_includes(path):
        checked += 1
        target = resolve(inc, path, ctl_search)
        if target is None or target.startswith(os.path.join(root, "daemon") + os.sep):
            problems.append(f'{os.path.relpath(path, root)}: "{inc}" is not proto/ or ctl/')

public_dir = os.path.join(root, "clients", "cpp", "include", "peernet") + os.sep
for path in sources(os.path.join("clients", "cpp")):
    public = path.startswith(public_dir)
    text = open(path, encoding="utf-8").read()
    for kind, inc in INCLUDE.findall(text):
        checked += 1
        where = os.path.relpath(path, root)
        if public:
            if kind == '"' and not (inc.startswith("peernet/") and resolve(inc, path, public_search)):
                problems.append(f'{where}: "{inc}" in a public header (only <standard> and peernet/)')
            elif kind == "<" and not re.fullmatch(r"[a-z_]+", inc):
                problems.append(f"{where}: <{inc}> in a public header (only <standard> and peernet/)")
            continue
        if kind == "<":
            continue
        target = resolve(inc, path, public_search + ctl_search)
        if target is None or target.startswith(os.path.join(root, "daemon") + os.sep):
            problems.append(f'{where}: "{inc}" is not clients/cpp/, ctl/ or proto/')

# Folder sizes.
MAX_ENTRIES = 25
for top in ("proto", "daemon"):
    for dirpath, dirs, files in os.walk(os.path.join(root, top)):
        n = len(dirs) + len(files)
        if n > MAX_ENTRIES:
            problems.append(f"{os.path.relpath(dirpath, root)}/ has {n} entries (at most {MAX_ENTRIES})")

# Every folder described.
readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0] if "## Layout" in readme else ""
architecture = open(os.path.join(root, "ARCHITECTURE.md"), encoding="utf-8").read()
for top in ("proto", "daemon", "clients"):
    for name in sorted(os.listdir(os.path.join(root, top))):
        if name == "include" or not os.path.isdir(os.path.join(root, top, name)):
            continue
        if f"{name}/" not in layout:
            problems.append(f"README.md's Layout does not describe {top}/{name}/")
        if f"{top}/{name}/" not in architecture:
            problems.append(f"ARCHITECTURE.md does not describe {top}/{name}/")

# Reasons live in the repository.
CITE = re.compile(r"(design|style) \u00a7")
for top in ("proto", "daemon", "ctl", "clients", "tests", "bench"):
    for dirpath, _, files in os.walk(os.path.join(root, top)):
        for f in files:
            if f.endswith((".cpp", ".hpp", ".py", ".sh", ".build")):
                path = os.path.join(dirpath, f)
                for no, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
                    if CITE.search(line):
                        problems.append(f"{os.path.relpath(path, root)}:{no}: cites a document"
                                        " outside the repository")

for p in problems:
    print(p)
print(f"{checked} includes checked, {len(problems)} break the layering")
sys.exit(1 if problems or checked == 0 else 0)
