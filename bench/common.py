"""What every part of the benchmark shares: the broker, processes, statistics, the machine."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import yaml

from skill import loopback
from skill.loopback import HOST, free_port

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def mosquitto_binary() -> str:
    found = loopback.mosquitto_binary()
    if found is None:
        raise RuntimeError("the benchmark needs Mosquitto: apt-get install mosquitto")
    return found


def mosquitto_version() -> str:
    try:
        done = subprocess.run([mosquitto_binary(), "-h"], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        return "unknown"
    first = (done.stdout or done.stderr).splitlines()
    return first[0].strip() if first else "unknown"


@dataclass
class Mosquitto:
    """Mosquitto with its default settings, on a free loopback port, for one benchmark."""

    folder: Path
    port: int = field(default_factory=free_port)
    nodelay: bool = True
    process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Mosquitto:
        self.folder.mkdir(parents=True, exist_ok=True)
        mosquitto_binary()  # a clear failure when it is missing
        self.process = loopback.start_mosquitto(
            self.folder, self.port, f"set_tcp_nodelay {'true' if self.nodelay else 'false'}\n")
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self.process)
        self.process = None


def stop(process: subprocess.Popen[bytes] | subprocess.Popen[str] | None,
         timeout: float = 10.0) -> int | None:
    """Stop one process we started: SIGTERM, then SIGKILL if it does not go."""
    if process is None:
        return None
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


class Logged:
    """A process whose standard error goes straight to a file (no pipe for us to drain
    while we measure), which we look at for its ready line."""

    def __init__(self, args: Sequence[str], log_path: Path, *, env: dict[str, str] | None = None,
                 ready: str | None = None) -> None:
        self.log_path = log_path
        self.ready_text = ready
        self._file = log_path.open("wb")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            list(args), stdout=subprocess.DEVNULL, stderr=self._file, env=env, cwd=ROOT,
        )

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Seconds from launch until the ready line was in the log (looked at every ms)."""
        assert self.ready_text is not None
        needle = self.ready_text.encode()
        deadline = self.started_at + timeout
        while time.perf_counter() < deadline:
            if needle in self.log_path.read_bytes():
                return time.perf_counter() - self.started_at
            if self.process.poll() is not None:
                break
            time.sleep(0.001)
        tail = self.text()[-3000:]
        self.stop()
        raise RuntimeError(f"{' '.join(map(str, self.process.args))[:200]} did not start "
                           f"(exit {self.process.returncode}):\n{tail}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> int | None:
        code = stop(self.process)
        self._file.close()
        return code

    def text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def hearth_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env["HEARTH_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                     else "")
    return env


def hearth_run(port: int, data_dir: Path, log_path: Path, *extra: str,
               rituals: Path | None = None, log_level: str = "INFO") -> Logged:
    """``hearth run`` as its own process (``python -m skill run``), the way it is deployed."""
    args = [sys.executable, "-m", "skill", "run", "--host", HOST, "--port", str(port),
            "--names", "Alex,Sam", "--log-level", log_level, *extra]
    if rituals is not None:
        args += ["--rituals", str(rituals)]
    return Logged(args, log_path, env=hearth_env(data_dir), ready="hearth: serving")


# -- statistics -----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 to 100), nearest rank on sorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """n, p50, p90, p99, max and mean, in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50": percentile(ms, 50), "p90": percentile(ms, 90), "p99": percentile(ms, 99),
        "max": max(ms), "mean": sum(ms) / len(ms), "min": min(ms),
    }


# -- the machine ----------------------------------------------------------------------------


def environment() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str] = {}
    for name in ("paho-mqtt", "rhasspy-hermes", "dataclasses-json", "PyYAML"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "mosquitto": mosquitto_version(),
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        "packages": versions,
        "load_average_at_start": list(os.getloadavg()),
    }


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
