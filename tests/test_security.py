"""``hearth run`` against a Mosquitto that wants a login and TLS, set up by the test itself.

The test makes its own certificate authority, a server certificate for 127.0.0.1 (as an IP
subject alternative name), a client certificate, a second authority nobody trusts and a
server certificate for another name, all with the ``openssl`` command; a password file with
``mosquitto_passwd``; and one broker with four loopback listeners:

* ``plain``: MQTT without TLS, login required;
* ``tls``: TLS with the server certificate, login required;
* ``mutual``: TLS that also requires a client certificate signed by the authority, and login;
* ``misnamed``: TLS with a certificate that is valid but made for another host name.

What is checked is what the household sees: the right login serves; a wrong one, a missing
one, an untrusted or misnamed certificate, and TLS on the wrong kind of port each stop
``hearth run`` within seconds with exit code 1 and a line saying what is wrong and what to
change, never a retry loop, and never the password. Then ``--site-id``: Hearth answers the
room it serves and stays silent for the others.

Only 127.0.0.1 is used.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from conftest import (
    HOST,
    ROOT,
    TEST_RITUALS,
    HearthProcess,
    free_port,
    hearth_env,
    mosquitto_binary,
    run_hearth,
)
from rhasspyhermes.intent import Intent as HermesIntent
from rhasspyhermes.intent import Slot
from rhasspyhermes.nlu import NluIntent

from skill.loopback import wait_for_port

pytestmark = pytest.mark.broker

USER = "hearth"
PASSWORD = "hearth-s3cret"
WRONG_PASSWORD = "not-the-password"
EXIT_WITHIN = 15.0
"""Seconds a refused ``hearth run`` may take to give up (it takes about one)."""


# -- certificates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path
    other_key: Path
    misnamed_cert: Path
    misnamed_key: Path


def openssl(*args: str, cwd: Path) -> None:
    binary = shutil.which("openssl")
    if binary is None:
        pytest.fail("the openssl command is needed to make the test certificates "
                    "(apt-get install openssl)", pytrace=False)
    done = subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"openssl {' '.join(args)} failed:\n{done.stderr}"


def make_ca(folder: Path, name: str, subject: str) -> tuple[Path, Path]:
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
            "-subj", subject, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    return folder / f"{name}.pem", folder / f"{name}.key"


def make_cert(folder: Path, name: str, subject: str, extensions: str, ca: Path, ca_key: Path
              ) -> tuple[Path, Path]:
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=folder)
    (folder / f"{name}.ext").write_text(extensions)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", str(ca), "-CAkey", str(ca_key),
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
            "-extfile", f"{name}.ext", cwd=folder)
    return folder / f"{name}.pem", folder / f"{name}.key"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca, ca_key = make_ca(folder, "ca", "/CN=Hearth test CA")
    other_ca, other_key = make_ca(folder, "other-ca", "/CN=Somebody else's CA")
    server = make_cert(folder, "server", "/CN=127.0.0.1",
                       "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                       "extendedKeyUsage=serverAuth\n", ca, ca_key)
    client = make_cert(folder, "client", "/CN=hearth",
                       "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n", ca, ca_key)
    misnamed = make_cert(folder, "misnamed", "/CN=elsewhere.invalid",
                         "subjectAltName=DNS:elsewhere.invalid\nbasicConstraints=CA:FALSE\n"
                         "extendedKeyUsage=serverAuth\n", ca, ca_key)
    return Pki(ca, *server, *client, other_ca, other_key, *misnamed)


# -- the broker ------------------------------------------------------------------------------


@dataclass
class SecureBroker:
    folder: Path
    pki: Pki
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> SecureBroker:
        passwords = self.folder / "passwords"
        passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        subprocess.run([passwd, "-b", "-c", str(passwords), USER, PASSWORD], check=True,
                       capture_output=True)
        self.ports = {name: free_port() for name in ("plain", "tls", "mutual", "misnamed")}
        pki = self.pki

        def tls(cert: Path, key: Path) -> str:
            return f"cafile {pki.ca}\ncertfile {cert}\nkeyfile {key}\n"

        config = self.folder / "mosquitto.conf"
        config.write_text(
            # Mosquitto started as root drops to its own user before it reads the password
            # file; naming the user we are keeps it able to read the test's files.
            f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
            "per_listener_settings false\nallow_anonymous false\n"
            f"password_file {passwords}\npersistence false\nlog_type error\n"
            f"listener {self.ports['plain']} {HOST}\n"
            f"listener {self.ports['tls']} {HOST}\n{tls(pki.server_cert, pki.server_key)}"
            f"listener {self.ports['mutual']} {HOST}\n{tls(pki.server_cert, pki.server_key)}"
            "require_certificate true\n"
            f"listener {self.ports['misnamed']} {HOST}\n"
            f"{tls(pki.misnamed_cert, pki.misnamed_key)}"
        )
        log = (self.folder / "mosquitto.log").open("wb")
        self.process = subprocess.Popen([mosquitto_binary(), "-c", str(config)],
                                        stdout=log, stderr=log)
        log.close()
        for port in self.ports.values():
            try:
                wait_for_port(port)
            except TimeoutError:
                self.stop()
                raise AssertionError("Mosquitto did not start:\n"
                                     + (self.folder / "mosquitto.log").read_text()) from None
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture(scope="module")
def secure(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    broker = SecureBroker(tmp_path_factory.mktemp("secure-mosquitto"), pki).start()
    yield broker
    broker.stop()


LOGIN = ("--username", USER)
PASSWORD_ENV = {"HEARTH_PASSWORD": PASSWORD}


# -- hearth run that is expected to stop -----------------------------------------------------


@dataclass(frozen=True)
class Exited:
    code: int
    log: str
    seconds: float


def run_until_exit(port: int, data_dir: Path, *extra: str, env: dict[str, str] | None = None
                   ) -> Exited:
    args = [sys.executable, "-m", "skill", "run", "--host", HOST, "--port", str(port),
            "--rituals", str(TEST_RITUALS), "--names", "Alex,Sam", "--log-level", "INFO",
            *extra]
    started = time.monotonic()
    try:
        done = subprocess.run(args, env={**hearth_env(data_dir), **(env or {})}, cwd=ROOT,
                              capture_output=True, text=True, timeout=EXIT_WITHIN,
                              check=False)
    except subprocess.TimeoutExpired as expired:
        said = expired.stderr.decode() if isinstance(expired.stderr, bytes) else (
            expired.stderr or "")
        pytest.fail(f"hearth run was still running after {EXIT_WITHIN:g} s (a retry loop?):"
                    f"\n{said[-3000:]}")
    return Exited(done.returncode, done.stderr, time.monotonic() - started)


def assert_stopped_clearly(result: Exited, port: int, *phrases: str) -> str:
    """Exit 1 within seconds, one ERROR line naming the broker and saying ``phrases``."""
    assert result.code == 1, f"exit code {result.code}:\n{result.log}"
    assert result.seconds < EXIT_WITHIN
    errors = [line for line in result.log.splitlines() if " ERROR " in line]
    assert len(errors) == 1, result.log  # said once, not once per layer
    error = errors[0]
    assert f"MQTT broker {HOST}:{port}: " in error
    for phrase in phrases:
        assert phrase in error, f"{phrase!r} not in {error!r}"
    assert "Traceback" not in result.log
    assert "trying again" not in result.log and "reconnecting" not in result.log
    assert "serving" not in result.log
    for secret in (PASSWORD, WRONG_PASSWORD):
        assert secret not in result.log
    return error


# -- logins ----------------------------------------------------------------------------------


def test_the_right_username_and_password_serve(
    secure: SecureBroker, hearth_factory: list[HearthProcess], tmp_path: Path,
) -> None:
    hearth = run_hearth(hearth_factory, secure.ports["plain"], tmp_path / "data", *LOGIN,
                        env=PASSWORD_ENV)
    assert PASSWORD not in hearth.text()


def test_a_wrong_password_stops_at_once_and_says_so(secure: SecureBroker, tmp_path: Path
                                                    ) -> None:
    result = run_until_exit(secure.ports["plain"], tmp_path / "data", *LOGIN,
                            env={"HEARTH_PASSWORD": WRONG_PASSWORD})
    error = assert_stopped_clearly(result, secure.ports["plain"], "username or password",
                                   f"user '{USER}'", "--username and --password")
    print(f"{result.seconds:.2f} s: {error}")


def test_no_login_on_a_broker_that_wants_one_says_not_authorised(
    secure: SecureBroker, tmp_path: Path,
) -> None:
    result = run_until_exit(secure.ports["plain"], tmp_path / "data")
    error = assert_stopped_clearly(result, secure.ports["plain"], "not authorised",
                                   "needs a username and password", "--username")
    print(f"{result.seconds:.2f} s: {error}")


# -- TLS -------------------------------------------------------------------------------------


def test_tls_with_the_authority_that_signed_the_broker_serves(
    secure: SecureBroker, pki: Pki, hearth_factory: list[HearthProcess], tmp_path: Path,
) -> None:
    run_hearth(hearth_factory, secure.ports["tls"], tmp_path / "data", *LOGIN, "--tls",
               "--tls-ca-certs", str(pki.ca), env=PASSWORD_ENV)


def test_tls_without_the_authority_stops_with_certificate_verify_failed(
    secure: SecureBroker, tmp_path: Path,
) -> None:
    result = run_until_exit(secure.ports["tls"], tmp_path / "data", *LOGIN, "--tls",
                            env=PASSWORD_ENV)
    error = assert_stopped_clearly(result, secure.ports["tls"], "TLS failed",
                                   "certificate verify failed", "--tls-ca-certs")
    print(f"{result.seconds:.2f} s: {error}")


def test_tls_with_another_authority_stops_with_certificate_verify_failed(
    secure: SecureBroker, pki: Pki, tmp_path: Path,
) -> None:
    result = run_until_exit(secure.ports["tls"], tmp_path / "data", *LOGIN, "--tls",
                            "--tls-ca-certs", str(pki.other_ca), env=PASSWORD_ENV)
    error = assert_stopped_clearly(result, secure.ports["tls"], "certificate verify failed",
                                   f"not signed by the authority in {pki.other_ca}")
    print(f"{result.seconds:.2f} s: {error}")


def test_a_trusted_certificate_for_another_host_is_refused(
    secure: SecureBroker, pki: Pki, tmp_path: Path,
) -> None:
    # paho 1.5's own tls_set would accept this one: it never compares the name.
    result = run_until_exit(secure.ports["misnamed"], tmp_path / "data", *LOGIN, "--tls",
                            "--tls-ca-certs", str(pki.ca), env=PASSWORD_ENV)
    error = assert_stopped_clearly(result, secure.ports["misnamed"],
                                   "certificate verify failed", "mismatch",
                                   f"not for {HOST}", "--host")
    print(f"{result.seconds:.2f} s: {error}")


def test_tls_to_a_plain_listener_stops_and_asks_whether_it_is_one(
    secure: SecureBroker, pki: Pki, tmp_path: Path,
) -> None:
    result = run_until_exit(secure.ports["plain"], tmp_path / "data", *LOGIN, "--tls",
                            "--tls-ca-certs", str(pki.ca), env=PASSWORD_ENV)
    error = assert_stopped_clearly(result, secure.ports["plain"], "TLS failed",
                                   f"is port {secure.ports['plain']} a TLS listener?")
    print(f"{result.seconds:.2f} s: {error}")


def test_plain_mqtt_to_a_tls_listener_stops_and_suggests_tls(
    secure: SecureBroker, tmp_path: Path,
) -> None:
    result = run_until_exit(secure.ports["tls"], tmp_path / "data", *LOGIN, env=PASSWORD_ENV)
    error = assert_stopped_clearly(result, secure.ports["tls"],
                                   "closed the connection without answering CONNECT",
                                   "TLS listener", "--tls")
    print(f"{result.seconds:.2f} s: {error}")


def test_a_client_certificate_and_a_login_together_serve(
    secure: SecureBroker, pki: Pki, hearth_factory: list[HearthProcess], tmp_path: Path,
) -> None:
    run_hearth(hearth_factory, secure.ports["mutual"], tmp_path / "data", *LOGIN, "--tls",
               "--tls-ca-certs", str(pki.ca), "--tls-certfile", str(pki.client_cert),
               "--tls-keyfile", str(pki.client_key), env=PASSWORD_ENV)


def test_no_client_certificate_where_one_is_required_says_so(
    secure: SecureBroker, pki: Pki, tmp_path: Path,
) -> None:
    result = run_until_exit(secure.ports["mutual"], tmp_path / "data", *LOGIN, "--tls",
                            "--tls-ca-certs", str(pki.ca), env=PASSWORD_ENV)
    error = assert_stopped_clearly(result, secure.ports["mutual"], "client certificate",
                                   "--tls-certfile")
    print(f"{result.seconds:.2f} s: {error}")


def test_a_client_certificate_from_another_authority_is_named(
    secure: SecureBroker, pki: Pki, tmp_path: Path,
) -> None:
    result = run_until_exit(secure.ports["mutual"], tmp_path / "data", *LOGIN, "--tls",
                            "--tls-ca-certs", str(pki.ca), "--tls-certfile", str(pki.other_ca),
                            "--tls-keyfile", str(pki.other_key), env=PASSWORD_ENV)
    error = assert_stopped_clearly(result, secure.ports["mutual"],
                                   f"client certificate {pki.other_ca}")
    print(f"{result.seconds:.2f} s: {error}")


def test_a_file_that_is_not_a_certificate_is_named(secure: SecureBroker, tmp_path: Path
                                                   ) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("this is not a certificate\n")
    args = [sys.executable, "-m", "skill", "run", "--host", HOST, "--port",
            str(secure.ports["tls"]), "--rituals", str(TEST_RITUALS), *LOGIN, "--tls",
            "--tls-ca-certs", str(not_pem)]
    done = subprocess.run(args, env={**hearth_env(tmp_path / "data"), **PASSWORD_ENV},
                          cwd=ROOT, capture_output=True, text=True, timeout=EXIT_WITHIN,
                          check=False)
    assert done.returncode != 0
    assert f"cannot use {not_pem} as the certificate authority" in done.stderr
    assert "Traceback" not in done.stderr


# -- one room, not the others ----------------------------------------------------------------


class Listener:
    """A paho client that keeps every Hermes message it sees."""

    def __init__(self, port: int) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(client_id="security-listener")
        self.client.username_pw_set(USER, PASSWORD)
        self.client.on_connect = lambda client, *_: client.subscribe("hermes/#")
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(HOST, port)
        self.client.loop_start()
        assert self._subscribed.wait(10), "the listener could not subscribe"

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage
                    ) -> None:
        try:
            payload = json.loads(msg.payload)
        except ValueError:
            return
        if isinstance(payload, dict):
            with self._lock:
                self.messages.append((msg.topic, payload))

    def seen(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, topic: str, site: str, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(t == topic and p.get("siteId") == site for t, p in self.seen()):
                return True
            time.sleep(0.02)
        return False

    def publish_intent(self, name: str, site: str, slots: dict[str, str]) -> None:
        message = NluIntent(
            input="start the quick ritual", raw_input="start the quick ritual",
            intent=HermesIntent(intent_name=name, confidence_score=1.0), site_id=site,
            slots=[Slot(entity=k, slot_name=k, value={"kind": "Unknown", "value": v},
                        raw_value=v) for k, v in slots.items()],
        )
        self.client.publish(NluIntent.topic(intent_name=name), message.payload()).wait_for_publish()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_site_id_is_served_and_other_rooms_are_left_alone(
    secure: SecureBroker, hearth_factory: list[HearthProcess], tmp_path: Path,
) -> None:
    hearth = run_hearth(hearth_factory, secure.ports["plain"], tmp_path / "data", *LOGIN,
                        "--site-id", "kitchen", env=PASSWORD_ENV)
    assert "serving kitchen" in hearth.text()
    listener = Listener(secure.ports["plain"])
    try:
        # The bedroom first: had Hearth acted on it, its answer would come before the
        # kitchen's (one connection, one thread, messages in order).
        listener.publish_intent("HearthStartRitual", "bedroom", {"ritual": "quick"})
        listener.publish_intent("HearthStartRitual", "kitchen", {"ritual": "quick"})
        assert listener.wait_for("hermes/dialogueManager/startSession", "kitchen"), (
            f"no startSession for the kitchen; saw {listener.seen()}\n{hearth.text()[-3000:]}")
        time.sleep(0.5)
        ours = [(t, p) for t, p in listener.seen() if not t.startswith("hermes/intent/")]
        bedroom = [(t, p) for t, p in ours if p.get("siteId") == "bedroom"
                   or "bedroom" in json.dumps(p)]
        assert bedroom == [], f"Hearth answered the bedroom: {bedroom}"
        starts = [p for t, p in ours if t == "hermes/dialogueManager/startSession"]
        assert starts and all(p["siteId"] == "kitchen" for p in starts)
    finally:
        listener.stop()
