"""``python -m bench``: every measure, a table, and bench/results/latest.json.

Sections (``--only`` picks some): latency, throughput, timers, idle, loading. ``--smoke``
runs each with tiny counts, to prove the benchmark itself works (CI); its figures mean
nothing. Timing never fails the run: a target that is missed says NO in the table, and the
exit status is 0. The exit status is 1 only when a section could not run at all.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import hermesload, loading, peer, procstat, timers
from bench.common import (
    BENCH,
    HOST,
    Logged,
    Mosquitto,
    environment,
    hearth_env,
    hearth_run,
    summary_ms,
    write_json,
)
from bench.mqttlite import Client
from bench.report import Row, ratio, table

SECTIONS = ("latency", "throughput", "timers", "idle", "loading")
RESULTS = BENCH / "results" / "latest.json"
SMOKE_RESULTS = BENCH / "results" / "smoke.json"
"""A smoke run never replaces the last full run's figures."""

BROKER_NOTE = (
    "Mosquitto runs with set_tcp_nodelay true. With its default (false), Nagle's algorithm "
    "holds a small message for a client until the client acknowledges the previous one, and "
    "Linux delays that acknowledgement by up to 40 ms when it has nothing to send back. This "
    "benchmark's stand-in dialogue manager answers at once (sessionStarted and sessionEnded "
    "back to back), which real speech never does, so with the default every intent after it "
    "would wait ~40 ms in the broker. Echo and peer send one message per request and are "
    "not affected either way."
)


@dataclass(frozen=True)
class Counts:
    """How much of everything: the full run, or the smoke run's token amounts."""

    latency_messages: int
    latency_warmup: int
    latency_blocks: int
    latency_gap: float
    throughput_sites: int
    throughput_per_site: int
    throughput_seconds: float
    throughput_warmup: float
    throughput_rounds: int
    timer_sites: tuple[int, ...]
    timer_seconds: float
    idle_seconds: float
    idle_settle: float
    idle_schedules: int
    startup_runs: int
    ritual_files: int
    load_repeats: int


FULL = Counts(
    latency_messages=2000, latency_warmup=200, latency_blocks=4, latency_gap=0.002,
    throughput_sites=50, throughput_per_site=4, throughput_seconds=6.0, throughput_warmup=1.0,
    throughput_rounds=2, timer_sites=(1, 10, 100), timer_seconds=15.0, idle_seconds=30.0,
    idle_settle=3.0, idle_schedules=10, startup_runs=3, ritual_files=1000, load_repeats=3,
)
SMOKE = Counts(
    latency_messages=40, latency_warmup=5, latency_blocks=1, latency_gap=0.002,
    throughput_sites=5, throughput_per_site=2, throughput_seconds=0.5, throughput_warmup=0.2,
    throughput_rounds=1, timer_sites=(1, 3), timer_seconds=3.0, idle_seconds=2.0,
    idle_settle=0.5, idle_schedules=2, startup_runs=1, ritual_files=20, load_repeats=1,
)


class Bench:
    def __init__(self, counts: Counts, work: Path, use_peer: bool) -> None:
        self.counts = counts
        self.work = work
        self.use_peer = use_peer
        self.rows: list[Row] = []
        self.raw: dict[str, Any] = {}
        self.notes: list[str] = [BROKER_NOTE]
        self._peer_python: Path | None = None

    # -- helpers ------------------------------------------------------------------------

    def peer_python(self) -> Path | None:
        if not self.use_peer:
            return None
        if self._peer_python is None:
            self._peer_python = peer.ensure(self.work / "peer-venv.log")
            self.raw["peer"] = {"note": peer.NOTE, "versions": peer.versions()}
            self.notes.append(peer.NOTE)
        return self._peer_python

    def start_echo(self, port: int, name: str) -> Logged:
        return Logged([sys.executable, "-m", "bench.echo", "--port", str(port)],
                      self.work / f"{name}.log", env=hearth_env(self.work / "unused"),
                      ready="echo: serving")

    def start_peer(self, port: int, name: str) -> Logged | None:
        python = self.peer_python()
        if python is None:
            return None
        return Logged([str(python), str(peer.skill_script()), "--host", HOST, "--port", str(port)],
                      self.work / f"{name}.log", ready="peer: serving")

    def broker(self, name: str) -> Mosquitto:
        return Mosquitto(self.work / f"broker-{name}")

    # -- 1. latency ---------------------------------------------------------------------

    def latency(self) -> None:
        c = self.counts
        with self.broker("echo") as b_echo, self.broker("peer") as b_peer, \
                self.broker("hearth") as b_hearth:
            procs: dict[str, Logged | None] = {
                "echo": self.start_echo(b_echo.port, "latency-echo"),
                "peer": self.start_peer(b_peer.port, "latency-peer"),
                "hearth": hearth_run(b_hearth.port, self.work / "latency-data",
                                     self.work / "latency-hearth.log"),
            }
            try:
                for proc in procs.values():
                    if proc is not None:
                        proc.wait_ready()
                scenarios: dict[str, tuple[hermesload.Scenario, int]] = {
                    "echo": (hermesload.Echo(), b_echo.port),
                    "hearth": (hermesload.Hearth(), b_hearth.port),
                }
                if procs["peer"] is not None:
                    scenarios["peer"] = (hermesload.Peer(), b_peer.port)
                clients = {}
                for name, (scenario, port) in scenarios.items():
                    clients[name] = Client(port, f"bench-latency-{name}")
                    clients[name].subscribe(scenario.replies)
                answers: dict[str, list[float]] = {name: [] for name in scenarios}
                spoken: list[float] = []
                stray = 0
                per_block = max(1, c.latency_messages // c.latency_blocks)
                # Blocks taken in turn, so a slow moment of the machine is shared out.
                for block in range(c.latency_blocks):
                    for name, (scenario, _) in scenarios.items():
                        result = hermesload.sequential(
                            clients[name], scenario, per_block,
                            c.latency_warmup if block == 0 else 0, gap=c.latency_gap,
                        )
                        answers[name] += result.answer
                        stray += result.stray
                        if name == "hearth":
                            spoken += result.spoken
                for client in clients.values():
                    client.close()
            finally:
                for proc in procs.values():
                    if proc is not None:
                        proc.stop()
        stats = {name: summary_ms(values) for name, values in answers.items()}
        self.raw["latency"] = {
            "messages_each": len(answers["hearth"]), "warmup": c.latency_warmup,
            "gap_ms": c.latency_gap * 1000, "blocks": c.latency_blocks,
            "first_reply_ms": stats, "hearth_notification_ms": summary_ms(spoken),
            "stray_replies": stray,
            "samples_us": {name: [round(v * 1e6, 1) for v in values]
                           for name, values in answers.items()},
            "hearth_warnings": _warnings(self.work / "latency-hearth.log"),
        }
        targets = {"p50": (2.0, "<= 2x echo"), "p99": (3.0, "<= 3x echo")}
        hearth = stats["hearth"]
        for key in ("p50", "p90", "p99", "max"):
            limit, text = targets.get(key, (None, ""))
            r = ratio(hearth.get(key), stats["echo"].get(key))
            self.rows.append(Row(
                "1. intent -> first reply, one in flight", f"{key}, vs bare paho echo",
                hearth.get(key), "ms", stats["echo"].get(key), "echo", r, text,
                None if limit is None or r is None else r <= limit,
            ))
        if "peer" in stats:
            for key in ("p50", "p99"):
                self.rows.append(Row(
                    "1. intent -> first reply, one in flight", f"{key}, vs peer",
                    hearth.get(key), "ms", stats["peer"].get(key), "peer",
                    ratio(hearth.get(key), stats["peer"].get(key)),
                ))
        notification = summary_ms(spoken)
        self.rows.append(Row(
            "1. intent -> first reply, one in flight",
            "Hearth's 2nd reply (its notification), p50", notification.get("p50"), "ms",
            hearth.get("p50"), "its 1st reply", ratio(notification.get("p50"), hearth.get("p50")),
            note="endSession goes first, then the spoken line as a notification session" + (
                "; about 40 ms is the mark of Nagle's algorithm on Hearth's own MQTT socket "
                "(paho-mqtt 1.5 does not set TCP_NODELAY): the second of two back-to-back "
                "publishes waits for the broker's delayed acknowledgement of the first"
                if (notification.get("p50") or 0.0) >= 30.0 else ""),
        ))

    # -- 2. throughput ------------------------------------------------------------------

    def throughput(self) -> None:
        c = self.counts
        sites = [f"site{i}" for i in range(c.throughput_sites)]
        results: dict[str, list[hermesload.Throughput]] = {}
        cpu: dict[str, list[dict[str, float]]] = {}
        dropped: dict[str, list[int]] = {}
        order = ["echo"] + ["peer", "hearth", "hearth-whole"] * c.throughput_rounds
        for index, name in enumerate(order):
            if name == "peer" and not self.use_peer:
                continue
            result, used, drops = self._throughput_round(name, index, sites)
            results.setdefault(name, []).append(result)
            cpu.setdefault(name, []).append(used)
            if drops is not None:
                dropped.setdefault(name, []).append(drops)

        def mean_rate(name: str, spoken: bool = False) -> float | None:
            runs = results.get(name)
            if not runs:
                return None
            values = [r.spoken_per_second if spoken else r.per_second for r in runs]
            return sum(values) / len(values)

        self.raw["throughput"] = {
            "sites": c.throughput_sites, "in_flight": c.throughput_sites * c.throughput_per_site,
            "seconds": c.throughput_seconds, "warmup_seconds": c.throughput_warmup,
            "runs": {
                name: [{"answered_per_second": round(r.per_second, 1),
                        "notifications_per_second": round(r.spoken_per_second, 1),
                        "answered": r.answered, "in_flight": r.in_flight,
                        "unfinished": r.unfinished,
                        "latency_under_load_ms": summary_ms(r.latencies)} for r in runs]
                for name, runs in results.items()
            },
            "cpu_cores_used": cpu,
            "hearth_replies_dropped_by_flood_guard": dropped,
        }
        hearth_rate = mean_rate("hearth")
        section = (f"2. throughput, {c.throughput_sites} sites, "
                   f"{c.throughput_sites * c.throughput_per_site} in flight")
        if "peer" in results:
            r = ratio(hearth_rate, mean_rate("peer"))
            self.rows.append(Row(section, "intents answered per second, vs peer", hearth_rate,
                                 "/s", mean_rate("peer"), "peer", r, ">= 5x peer",
                                 None if r is None else r >= 5.0))
        self.rows.append(Row(section, "intents answered per second, vs echo", hearth_rate, "/s",
                             mean_rate("echo"), "echo", ratio(hearth_rate, mean_rate("echo"))))
        spoken_rate = mean_rate("hearth", spoken=True)
        runs = max(len(dropped.get("hearth", [])), 1)
        dropped_rate = sum(dropped.get("hearth", [])) / runs / (
            c.throughput_seconds + c.throughput_warmup)
        self.rows.append(Row(
            section, "  of which Hearth's notifications played", spoken_rate, "/s",
            hearth_rate, "answers", ratio(spoken_rate, hearth_rate),
            note=("each site speaks one line at a time; the rest wait in its queue, and past "
                  f"30 a reply is dropped (about {dropped_rate:,.0f}/s here)"),
        ))
        whole = mean_rate("hearth-whole")
        self.rows.append(Row(
            section, "whole exchanges per second, 1 in flight a site, vs peer", whole,
            "/s", mean_rate("peer"), "peer", ratio(whole, mean_rate("peer")),
            note=("Hearth's answer and its spoken line both back before that site's next "
                  "intent: no queue, no drops"),
        ))

    def _throughput_round(self, name: str, index: int, sites: list[str]
                          ) -> tuple[hermesload.Throughput, dict[str, float], int | None]:
        """One run: the result, the cores each process used, Hearth's dropped replies."""
        c = self.counts
        with self.broker(f"tput-{index}") as broker:
            tag = f"throughput-{name}-{index}"
            per_site = c.throughput_per_site
            if name == "echo":
                proc: Logged | None = self.start_echo(broker.port, tag)
                scenario: hermesload.Scenario = hermesload.Echo()
            elif name == "peer":
                proc = self.start_peer(broker.port, tag)
                scenario = hermesload.Peer()
            else:
                proc = hearth_run(broker.port, self.work / f"{tag}-data",
                                  self.work / f"{tag}.log")
                scenario = hermesload.Hearth()
                if name == "hearth-whole":
                    per_site = 1
            assert proc is not None and broker.process is not None
            try:
                proc.wait_ready()
                client = Client(broker.port, f"bench-{tag}")
                client.subscribe(scenario.replies)
                pids = {"measured": proc.pid, "broker": broker.process.pid,
                        "bench": os.getpid()}
                before = {k: procstat.cpu_seconds(pid) for k, pid in pids.items()}
                started = time.perf_counter()
                result = hermesload.throughput(
                    client, scenario, sites, per_site, c.throughput_seconds,
                    c.throughput_warmup, whole=name == "hearth-whole",
                )
                elapsed = time.perf_counter() - started
                used = {k: round((procstat.cpu_seconds(pid) - before[k]) / elapsed, 3)
                        for k, pid in pids.items()}
                client.close()
            finally:
                proc.stop()
        drops = proc.text().count("too many replies waiting") if name.startswith("hearth") \
            else None
        return result, used, drops

    # -- 3. timers ----------------------------------------------------------------------

    def timers(self) -> None:
        c = self.counts
        runs = []
        with self.broker("timers") as broker:
            for sites in c.timer_sites:
                runs.append(timers.run_sites(broker.port, sites, c.timer_seconds,
                                             self.work / f"timers-{sites}"))
        self.raw["timers"] = {
            "seconds_each": c.timer_seconds,
            "runs": [timers.summarise(run) for run in runs],
            "late_ms": {str(run.sites): [round(v, 3) for v in run.late_ms] for run in runs},
        }
        slowest = max((max(run.commits) for run in runs if run.commits), default=0.0)
        if slowest > 0.05:
            self.notes.append(
                f"timers: a small SQLite commit on this disk took up to {slowest * 1000:.0f} ms "
                "during these runs; Hearth saves each run's position to SQLite on its event "
                "loop, so a commit that slow holds up every site's timers")
        base = summary_ms([v / 1000.0 for v in runs[0].late_ms])
        for run in runs:
            stats = summary_ms([v / 1000.0 for v in run.late_ms])
            biggest = run is runs[-1]
            text = (f"{_fmt(stats.get('p50'))} / {_fmt(stats.get('p99'))} / "
                    f"{_fmt(stats.get('max'))} ms")
            compare = (f"{_fmt(base.get('p50'))} / {_fmt(base.get('p99'))} / "
                       f"{_fmt(base.get('max'))} ms") if run is not runs[0] else None
            p99 = stats.get("p99")
            self.rows.append(Row(
                "3. timer lateness (p50 / p99 / max)",
                f"{run.sites} site{'s' if run.sites > 1 else ''}, {stats.get('n', 0)} timers",
                text, "", compare, f"{runs[0].sites} site" if compare else "",
                ratio(p99, base.get("p99")) if compare else None,
                "p99 < 20 ms" if biggest else "",
                (p99 is not None and p99 < 20.0) if biggest else None,
            ))

    # -- 4. idle ------------------------------------------------------------------------

    def idle(self) -> None:
        c = self.counts
        data = self.work / "idle-data"
        added = _add_schedules(data, c.idle_schedules)
        with self.broker("idle-hearth") as b_hearth, self.broker("idle-peer") as b_peer:
            starts: dict[str, list[float]] = {"hearth": [], "peer": []}
            kept: dict[str, Logged] = {}
            try:
                for attempt in range(c.startup_runs):
                    last = attempt == c.startup_runs - 1
                    hearth = hearth_run(b_hearth.port, data,
                                        self.work / f"idle-hearth-{attempt}.log")
                    starts["hearth"].append(hearth.wait_ready())
                    kept["hearth"] = hearth
                    other = self.start_peer(b_peer.port, f"idle-peer-{attempt}")
                    if other is not None:
                        starts["peer"].append(other.wait_ready())
                        kept["peer"] = other
                    if not last:
                        for proc in kept.values():
                            proc.stop()
                time.sleep(c.idle_settle)
                watched = {name: proc.pid for name, proc in kept.items()}
                elapsed, cpu, wakeups = _watch(watched, c.idle_seconds)
                memory = {k: procstat.memory_mb(p) for k, p in watched.items()}
                log_lines = kept["hearth"].text().splitlines()
            finally:
                for proc in kept.values():
                    proc.stop()
        imports = _import_costs()
        self.raw["idle"] = {
            "seconds": elapsed, "schedules_added": added,
            "startup_seconds": starts, "memory_mb": memory,
            "cpu_ms_per_second": cpu,
            "wakeups": wakeups, "imports": imports,
            "hearth_log_tail": log_lines[-15:],
        }
        section = f"4. idle: {added} schedules, {c.idle_seconds:.0f} s"
        peer_mem = memory.get("peer", {}).get("rss")
        rss = memory["hearth"]["rss"]
        self.rows.append(Row(section, "resident memory (RSS)", rss, "MB", peer_mem, "peer",
                             ratio(rss, peer_mem), "< 40 MB", rss < 40.0,
                             note=_import_note(imports)))
        self.rows.append(Row(section, "proportional memory (PSS)", memory["hearth"].get("pss"),
                             "MB", memory.get("peer", {}).get("pss"), "peer",
                             ratio(memory["hearth"].get("pss"),
                                   memory.get("peer", {}).get("pss"))))
        cpu_h = self.raw["idle"]["cpu_ms_per_second"]["hearth"]
        cpu_p = self.raw["idle"]["cpu_ms_per_second"].get("peer")
        self.rows.append(Row(section, "CPU time per second", cpu_h, "ms/s", cpu_p, "peer",
                             ratio(cpu_h, cpu_p)))
        busiest = wakeups["hearth"]["busiest_per_second"]
        peer_busiest = wakeups.get("peer", {}).get("busiest_per_second")
        self.rows.append(Row(section, "wake-ups per second, busiest thread", busiest, "/s",
                             peer_busiest, "peer", ratio(busiest, peer_busiest),
                             "<= 1 /s", busiest <= 1.05))
        total = wakeups["hearth"]["total_per_second"]
        self.rows.append(Row(section, "wake-ups per second, all threads", total, "/s",
                             wakeups.get("peer", {}).get("total_per_second"), "peer",
                             ratio(total, wakeups.get("peer", {}).get("total_per_second"))))
        start_h = sorted(starts["hearth"])[len(starts["hearth"]) // 2]
        start_p = sorted(starts["peer"])[len(starts["peer"]) // 2] if starts["peer"] else None
        self.rows.append(Row(section, "start-up: launch to subscribed (median)", start_h, "s",
                             start_p, "peer", ratio(start_h, start_p), "< 1 s", start_h < 1.0))

    # -- 5. loading ---------------------------------------------------------------------

    def loading(self) -> None:
        c = self.counts
        result = loading.measure(self.work / "loading", c.ritual_files, c.load_repeats)
        self.raw["loading"] = result
        fast = result.get("CSafeLoader")
        slow = result.get("SafeLoader")
        fast_rate = fast["files_per_second"] if isinstance(fast, dict) else None
        slow_rate = slow["files_per_second"] if isinstance(slow, dict) else None
        self.rows.append(Row(
            f"5. loading {result['files']} generated rituals",
            f"files validated per second ({result['default_loader']})", fast_rate, "/s",
            slow_rate, "pure-Python SafeLoader", ratio(fast_rate, slow_rate),
        ))


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _watch(pids: dict[str, int], seconds: float
           ) -> tuple[float, dict[str, float], dict[str, dict[str, Any]]]:
    """CPU (ms a second) and wake-ups (voluntary context switches a second, per thread)
    of quiet processes over ``seconds``."""
    cpu0 = {k: procstat.cpu_seconds(p) for k, p in pids.items()}
    sw0 = {k: procstat.switches(p) for k, p in pids.items()}
    began = time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - began
    cpu = {k: (procstat.cpu_seconds(p) - cpu0[k]) * 1000.0 / elapsed for k, p in pids.items()}
    wakeups: dict[str, dict[str, Any]] = {}
    for name, pid in pids.items():
        threads = []
        for tid, (voluntary, involuntary) in procstat.switches(pid).items():
            v0, i0 = sw0[name].get(tid, (0, 0))
            threads.append({"tid": tid, "voluntary_per_second": (voluntary - v0) / elapsed,
                            "involuntary_per_second": (involuntary - i0) / elapsed})
        threads.sort(key=lambda t: -t["voluntary_per_second"])
        wakeups[name] = {
            "threads": threads,
            "busiest_per_second": threads[0]["voluntary_per_second"] if threads else 0.0,
            "total_per_second": sum(t["voluntary_per_second"] for t in threads),
        }
    return elapsed, cpu, wakeups


def _warnings(log: Path) -> list[str]:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if " WARNING " in line or " ERROR " in line][:20]


def _add_schedules(data: Path, count: int) -> int:
    """``hearth schedule add`` ``count`` times, at times of day hours away from now."""
    env = hearth_env(data)
    rituals = ["appreciation-round", "hug-timer", "temperature-reading", "empathy-check-in",
               "dreams-and-fears", "speaker-listener", "screen-free-conversation",
               "stress-reducing-conversation", "shared-experience-planner"]
    now = datetime.datetime.now()
    added = 0
    for n in range(count):
        when = now + datetime.timedelta(hours=3, minutes=7 * n)
        cron = [str(when.minute), str(when.hour), "*", "*", "*"]
        done = subprocess.run(
            [sys.executable, "-m", "skill", "schedule", "add", rituals[n % len(rituals)], *cron,
             "--site", f"room{n % 3}"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"hearth schedule add failed: {done.stderr or done.stdout}")
        added += 1
    return added


def _import_costs() -> dict[str, dict[str, float]]:
    """RSS and time of importing what ``hearth run`` imports, against what serving needs."""
    probes = {
        "python_only": "pass",
        "skill.cli (what `hearth run` imports)": "import skill.cli",
        "skill.service + skill.config only": "import skill.service, skill.config",
    }
    out: dict[str, dict[str, float]] = {}
    for name, statement in probes.items():
        code = ("import time; t = time.perf_counter()\n"
                f"{statement}\n"
                "took = time.perf_counter() - t\n"
                "import sys\n"
                "rss = [l for l in open('/proc/self/status') if l.startswith('VmRSS')][0]\n"
                "print(took, int(rss.split()[1]) / 1024, len(sys.modules))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=hearth_env(Path(tempfile.gettempdir())), timeout=60,
                              check=False)
        if done.returncode == 0:
            took, rss, modules = done.stdout.split()
            out[name] = {"seconds": float(took), "rss_mb": float(rss), "modules": int(modules)}
    return out


def _import_note(imports: dict[str, dict[str, float]]) -> str:
    cli = imports.get("skill.cli (what `hearth run` imports)")
    lean = imports.get("skill.service + skill.config only")
    if not cli or not lean:
        return ""
    return (f"importing skill.cli alone: {cli['rss_mb']:.0f} MB, {cli['seconds']:.2f} s "
            f"({cli['modules']:.0f} modules); skill.service + skill.config: "
            f"{lean['rss_mb']:.0f} MB, {lean['seconds']:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny counts: proves the benchmark runs (seconds, not minutes)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections (default: all of {','.join(SECTIONS)})")
    parser.add_argument("--no-peer", action="store_true",
                        help="skip the rhasspy-hermes-app peer (and making its venv)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"JSON file ({RESULTS.relative_to(BENCH.parent)}; with --smoke "
                             f"{SMOKE_RESULTS.relative_to(BENCH.parent)})")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    counts = SMOKE if args.smoke else FULL
    out: Path = args.out or (SMOKE_RESULTS if args.smoke else RESULTS)
    began = time.perf_counter()
    failures: dict[str, str] = {}
    timings: dict[str, float] = {}
    busy: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as folder:
        bench = Bench(counts, Path(folder), use_peer=not args.no_peer)
        env = environment()
        print(f"Hearth benchmark ({'smoke' if args.smoke else 'full'}): {env['cpu']}, "
              f"{env['cpus']} CPUs, Python {env['python']}, {env['mosquitto']}",
              file=sys.stderr, flush=True)
        for name in chosen:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            start = time.perf_counter()
            machine0, own0 = procstat.machine_busy_seconds(), procstat.own_seconds()
            runner: Callable[[], None] = getattr(bench, name)
            try:
                runner()
            except Exception as error:  # report, keep going with the other sections
                failures[name] = f"{type(error).__name__}: {error}"
                traceback.print_exc()
            timings[name] = round(time.perf_counter() - start, 1)
            others = (procstat.machine_busy_seconds() - machine0) - (procstat.own_seconds() - own0)
            busy[name] = {"other_cores": round(max(others, 0.0) / max(timings[name], 0.1), 3),
                          "load_average_after": list(os.getloadavg())}
            if busy[name]["other_cores"] > 0.15:
                bench.notes.append(
                    f"{name}: other work on this machine used {busy[name]['other_cores']:.2f} "
                    f"of its {os.cpu_count()} cores meanwhile; those figures are pessimistic")
            print(f"bench: {name} done in {timings[name]} s", file=sys.stderr, flush=True)
        total = time.perf_counter() - began
        result = {
            "when": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "mode": "smoke" if args.smoke else "full",
            "seconds": round(total, 1), "section_seconds": timings,
            "other_work_during_sections": busy,
            "environment": env, "counts": counts.__dict__,
            "notes": bench.notes, "failures": failures,
            "rows": [row.as_json() for row in bench.rows],
            "raw": bench.raw,
        }
        write_json(out, result)
    print()
    print(table(bench.rows))
    print()
    for row in bench.rows:
        if row.note:
            print(f"note ({row.measure}): {row.note}")
    for note in bench.notes:
        print(f"note: {note}")
    for name, reason in failures.items():
        print(f"FAILED to run {name}: {reason}")
    print(f"{'smoke run' if args.smoke else 'run'} took {total:.0f} s; JSON: {out}")
    return 1 if failures else 0
