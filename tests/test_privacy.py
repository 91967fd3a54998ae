"""Privacy, checked from outside: where ``hearth run`` opens connections, and what it keeps.

``hearth run`` runs as its own process with a ``sitecustomize`` that installs a Python audit
hook (PEP 578) before anything else is imported. Every socket connection, name lookup,
datagram, listening socket and program started that the process makes is written to a file,
whichever library makes it; the test then checks that the only place Hearth ever reached was
the broker. (An audit hook sees what Python does: a C library opening sockets of its own
would not show; Hearth's dependencies have none.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HOST, ROOT, Figures, HearthProcess, Mosquitto, free_port, run_hearth
from test_broker import heard, heard_start, listening, recognizer

from skill.demo import DialogueManager
from skill.satellite import Satellite

pytestmark = pytest.mark.broker

AUDIT = '''
import json, os, socket, sys

_out = open(os.environ["HEARTH_TEST_AUDIT"], "a", buffering=1)
_WATCHED = {"socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg",
            "socket.bind", "socket.gethostbyname", "socket.gethostbyaddr",
            "http.client.connect", "urllib.Request", "subprocess.Popen", "os.system",
            "os.exec", "os.posix_spawn"}

def _caller():
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.endswith("socket.py"):
        frame = frame.f_back
    if frame is None:
        return "?"
    return f"{frame.f_globals.get('__name__')}.{frame.f_code.co_name}"

def _hook(event, args):
    if event not in _WATCHED:
        return
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"):
        sock, address = args[0], args[1]
        family = getattr(sock, "family", None)
        record = {"event": event, "family": int(family) if family is not None else None,
                  "address": address if isinstance(address, (str, tuple)) else repr(address)}
    else:
        record = {"event": event, "args": [a if isinstance(a, (str, int)) else repr(a)
                                           for a in args[:3]]}
    record["caller"] = _caller()
    _out.write(json.dumps(record, default=repr) + "\\n")

sys.addaudithook(_hook)
'''

SAID = ["start the quick ritual", "yes", "how much time is left", "say that again",
        "what rituals do you know"]


@pytest.fixture
def audited(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    site = tmp_path / "audit-site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(AUDIT)
    record = tmp_path / "audit.jsonl"
    yield {"PYTHONPATH": f"{site}:{ROOT}", "HEARTH_TEST_AUDIT": str(record)}, record


def events(record: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in record.read_text().splitlines()]


def test_the_audit_sees_a_connection_made_anywhere(
    audited: tuple[dict[str, str], Path]
) -> None:
    """The watch itself: a stray connection from any code is recorded, with its caller."""
    env, record = audited
    port = free_port()  # nothing listens: the connection is refused, but it was tried
    script = f"import socket\ntry:\n    socket.create_connection(('{HOST}', {port}))\n" \
             "except OSError:\n    pass\n"
    subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, check=True)
    tried = [e for e in events(record) if e["event"] == "socket.connect"]
    assert tried == [{"event": "socket.connect", "family": 2, "address": [HOST, port],
                      "caller": "__main__.<module>"}]


def test_hearth_reaches_the_broker_and_nothing_else(
    broker: Mosquitto, hearth_factory: list[HearthProcess], tmp_path: Path,
    audited: tuple[dict[str, str], Path], figures: Figures,
) -> None:
    env, record = audited
    data = tmp_path / "data"
    dialogue = DialogueManager(broker.port).start()
    hearth = run_hearth(hearth_factory, broker.port, data, env=env)
    room = Satellite(HOST, broker.port, "kitchen", recognizer()).start()
    try:
        room.utter("what rituals do you know")
        heard_start(room, "I know these rituals")
        room.utter("start the quick ritual")
        heard(room, "Are you ready?")
        listening(room)
        room.utter("yes")
        heard(room, "Good.")
        room.utter("how much time is left")
        heard_start(room, "About ")
        room.utter("say that again")
        heard(room, "Goodbye, Alex and Sam.", timeout=40)
    finally:
        room.stop()
        dialogue.stop()
    assert hearth.stop() == 0
    seen = events(record)
    connects = [e for e in seen if e["event"] == "socket.connect"]
    assert connects, "the audit hook saw no connection at all: it is not working"
    sockets = [e for e in seen if e.get("family") is not None]  # inet, unix, netlink…
    to_broker = [e for e in sockets if e["event"] == "socket.connect"
                 and e["address"] == [HOST, broker.port]]
    # paho-mqtt 1.5 makes its wake-up pipe from a loopback listener and a connection to it,
    # inside the process; that is the only other socket it may open.
    wake_pipe = [e for e in sockets if str(e["caller"]).endswith("._socketpair_compat")
                 and e["address"][0] == HOST]
    # paho binds the broker connection's own end to any local port before connecting.
    own_end = [e for e in sockets if e["event"] == "socket.bind" and e["address"][1] == 0
               and str(e["caller"]).endswith("._create_socket_connection")]
    assert to_broker, sockets
    assert [e for e in sockets if e not in to_broker + wake_pipe + own_end] == []
    lookups = [e for e in seen if e["event"] == "socket.getaddrinfo"]
    assert all(e["args"][0] == HOST for e in lookups), lookups
    other = [e for e in seen if e.get("family") is None and e["event"] != "socket.getaddrinfo"]
    assert other == []  # no HTTP, no URL, no other name lookup, no program started (which
    # the hook could not follow)
    # Nothing anyone said is kept in the data files either.
    files = [path for path in data.rglob("*") if path.is_file()]
    assert any(path.name == "hearth.db" for path in files)
    for path in files:
        content = path.read_bytes()
        for sentence in SAID[:1] + SAID[2:]:  # "yes" is a word any file may hold
            assert re.search(re.escape(sentence).encode(), content, re.IGNORECASE) is None, \
                f"{sentence!r} is in {path}"
    with figures():
        print(f"\nnetwork: {len(seen)} socket events audited: {len(to_broker)} "
              f"connection(s) to the broker at {HOST}:{broker.port}, and paho's in-process "
              f"wake-up pipe; {len(files)} data files scanned, {len(SAID)} sentences not "
              "found in them")
