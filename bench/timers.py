"""Timer precision: how late timed steps end with 1, 10 and 100 sites running rituals at once.

``hearth run --log-level DEBUG`` logs every timer of a run as it fires ("timer talk late by
0.412 ms": the event loop's clock when the callback ran, minus when it was due; see
skill/driver.py). This side plays Rhasspy's dialogue manager and audio server for every
site: a line is "spoken" 50 to 300 ms after its session starts, a chime "plays" for 200 ms.
The sites start a short ritual of talks, warnings and silences (bench-timers, written into a
temporary folder) within the first second, and run it for the measured time.
"""

from __future__ import annotations

import heapq
import json
import random
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Logged, hearth_run, summary_ms
from bench.mqttlite import Client, publish_frame
from bench.procstat import cpu_seconds

RITUAL = """\
id: bench-timers
title: Bench timers
description: Short talks, warnings and silences, for the benchmark.
practice: quality-time
participants: 2
triggers:
  - start the bench timers
steps:
  - say: Hello, {names}.
  - rounds: 20
    steps:
      - turns:
          - say: "{speaker}, your turn."
          - talk: 2s
            warn: 1s
            warning: One second left.
      - silence: 1s
      - chime: soft
  - say: Goodbye, {names}.
"""
LATE = re.compile(r"timer (\S+) late by (-?[0-9.]+) ms")
START_SESSION = "hermes/dialogueManager/startSession"
PLAY = re.compile(r"^hermes/audioServer/([^/]+)/playBytes/(.+)$")


def write_ritual(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench-timers.yaml").write_text(RITUAL)
    return folder


def start_intent(site: str) -> bytes:
    payload = {
        "input": "start the bench timers",
        "intent": {"intentName": "HearthStartRitual", "confidenceScore": 1.0},
        "siteId": site, "id": None, "sessionId": None, "customData": None,
        "slots": [{"entity": "hearth_rituals", "slotName": "ritual", "rawValue": "bench timers",
                   "value": {"kind": "Unknown", "value": "bench-timers"}, "confidence": 1.0,
                   "range": None}],
        "asrTokens": [], "asrConfidence": None, "rawInput": "start the bench timers",
        "wakewordId": None, "lang": None,
    }
    return publish_frame("hermes/intent/HearthStartRitual", json.dumps(payload).encode())


@dataclass
class DiskProbe:
    """Meanwhile, a small SQLite commit every 100 ms on the same disk as Hearth's data file
    (WAL, as Hearth's store): how long an fsync can take here. Hearth saves each run's
    position on its event loop, so a slow commit delays every site's timers."""

    folder: Path
    commits: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> DiskProbe:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.folder / "probe.db", isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
        n = 0
        while not self._stop.wait(0.1):
            n += 1
            start = time.perf_counter()
            db.execute("INSERT INTO t VALUES (?)", (n,))
            self.commits.append(time.perf_counter() - start)
        db.close()


@dataclass
class SiteRun:
    sites: int
    seconds: float
    late_ms: list[float]
    by_timer: dict[str, int]
    lines: int
    chimes: int
    cpu_fraction: float
    warnings: list[str]
    commits: list[float] = field(default_factory=list)


def run_sites(port: int, sites: int, seconds: float, work: Path, seed: int = 1) -> SiteRun:
    """One ``hearth run`` with ``sites`` sites running bench-timers for ``seconds``."""
    rituals = write_ritual(work / "rituals")
    hearth = hearth_run(port, work / "data", work / f"hearth-{sites}.log", rituals=rituals,
                        log_level="DEBUG")
    try:
        hearth.wait_ready()
        with DiskProbe(work / "disk-probe") as probe:
            run = _drive(hearth, port, sites, seconds, seed)
        run.commits = probe.commits
        return run
    finally:
        hearth.stop()


def _drive(hearth: Logged, port: int, sites: int, seconds: float, seed: int) -> SiteRun:
    rng = random.Random(seed)
    client = Client(port, f"bench-dm-{sites}")
    client.subscribe([START_SESSION, "hermes/audioServer/+/playBytes/#"])
    names = [f"room{i}" for i in range(sites)]
    pending: list[tuple[float, int, bytes]] = []
    order = 0

    def later(delay: float, frame: bytes) -> None:
        nonlocal order
        order += 1
        heapq.heappush(pending, (time.perf_counter() + delay, order, frame))

    for site in names:
        later(rng.uniform(0.0, 1.0), start_intent(site))
    lines = chimes = sessions = 0
    cpu_before = cpu_seconds(hearth.pid)
    begin = time.perf_counter()
    end = begin + 1.0 + seconds
    while time.perf_counter() < end:
        now = time.perf_counter()
        due = []
        while pending and pending[0][0] <= now:
            due.append(heapq.heappop(pending)[2])
        if due:
            client.send(b"".join(due))
        wait = min(pending[0][0] - now if pending else 0.05, end - now, 0.05)
        for topic, payload in client.read(wait):
            if topic == START_SESSION:
                data = json.loads(payload)
                site, custom = data["siteId"], data.get("customData")
                sessions += 1
                session = f"dm-{sessions}"
                started = {"sessionId": session, "siteId": site, "customData": custom,
                           "lang": None}
                ended = {"termination": {"reason": "nominal"}, "sessionId": session,
                         "siteId": site, "customData": custom}
                client.publish("hermes/dialogueManager/sessionStarted",
                               json.dumps(started).encode())
                later(rng.uniform(0.05, 0.3), publish_frame(
                    "hermes/dialogueManager/sessionEnded", json.dumps(ended).encode()))
                lines += 1
            else:
                match = PLAY.match(topic)
                if match:
                    site, request = match.groups()
                    chimes += 1
                    later(0.2, publish_frame(f"hermes/audioServer/{site}/playFinished",
                                             json.dumps({"id": request,
                                                         "sessionId": None}).encode()))
    elapsed = time.perf_counter() - begin
    cpu = cpu_seconds(hearth.pid) - cpu_before
    client.close()
    text = hearth.text()
    late: list[float] = []
    by_timer: dict[str, int] = {}
    for name, ms in LATE.findall(text):
        late.append(float(ms))
        kind = name.split("-")[0]
        by_timer[kind] = by_timer.get(kind, 0) + 1
    warnings = [line for line in text.splitlines() if " WARNING " in line or " ERROR " in line]
    return SiteRun(sites, seconds, late, by_timer, lines, chimes, cpu / elapsed, warnings[:20])


def summarise(run: SiteRun) -> dict[str, object]:
    stats = summary_ms([ms / 1000.0 for ms in run.late_ms])
    return {
        "sites": run.sites, "seconds": run.seconds, "timers": stats,
        "timer_names": run.by_timer, "lines_spoken": run.lines, "chimes": run.chimes,
        "hearth_cpu_fraction": round(run.cpu_fraction, 4), "warnings": run.warnings,
        "disk_probe_commit_ms": summary_ms(run.commits),
    }
