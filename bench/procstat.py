"""What /proc says about a process: CPU time, memory, wake-ups per thread (Linux only)."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the whole process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def status(pid: int, tid: int | None = None) -> dict[str, str]:
    path = f"/proc/{pid}/task/{tid}/status" if tid is not None else f"/proc/{pid}/status"
    out: dict[str, str] = {}
    for line in Path(path).read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def memory_mb(pid: int) -> dict[str, float]:
    """Resident (now and at its peak), proportional (PSS, shared pages split) and virtual size."""
    info = status(pid)

    def mb(key: str) -> float:
        return int(info.get(key, "0 kB").split()[0]) / 1024.0

    out = {"rss": mb("VmRSS"), "rss_peak": mb("VmHWM"), "vms": mb("VmSize"),
           "rss_anon": mb("RssAnon"), "rss_file": mb("RssFile")}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["pss"] = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return out


def switches(pid: int) -> dict[int, tuple[int, int]]:
    """Per thread: (voluntary, involuntary) context switches so far. Each voluntary switch
    is the thread going to sleep, so the count over a quiet stretch counts its wake-ups."""
    out: dict[int, tuple[int, int]] = {}
    for entry in Path(f"/proc/{pid}/task").iterdir():
        try:
            info = status(pid, int(entry.name))
        except (OSError, ValueError):
            continue
        out[int(entry.name)] = (int(info["voluntary_ctxt_switches"]),
                                int(info["nonvoluntary_ctxt_switches"]))
    return out


def thread_name(pid: int, tid: int) -> str:
    try:
        return Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
    except OSError:
        return "?"


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all CPUs, since boot)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields[:8]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / _TICK


def own_seconds() -> float:
    """CPU seconds of this process and of its children that have been waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system
