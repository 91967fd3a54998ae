"""Ports on 127.0.0.1, for the demo's embedded broker, the tests and the benchmark.

Everything Hearth starts for itself (``hearth demo``'s broker, a test's Mosquitto) listens on
the loopback address only, on a port the system says is free.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nothing listens on right now (the system's pick)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Return once something accepts connections on ``port``; TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {timeout} s")


def mosquitto_binary() -> str | None:
    """Debian's ``mosquitto``, on PATH or where the package puts it (often not on PATH)."""
    return shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )


def start_mosquitto(folder: Path, port: int, extra: str = "") -> subprocess.Popen[bytes]:
    """Mosquitto on 127.0.0.1:``port``, anonymous, nothing kept on disk, its configuration
    written into ``folder`` (with ``extra`` lines); returns once it accepts connections."""
    binary = mosquitto_binary()
    if binary is None:
        raise FileNotFoundError("Mosquitto is not installed: apt-get install mosquitto")
    config = folder / "mosquitto.conf"
    config.write_text(f"listener {port} {HOST}\nallow_anonymous true\npersistence false\n"
                      f"log_type error\n{extra}")
    process = subprocess.Popen([binary, "-c", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return process
