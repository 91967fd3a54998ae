"""The MQTT connection: paho-mqtt driven by the asyncio loop, with no network thread.

paho's socket is watched by the loop itself (``add_reader``; ``add_writer`` only while paho
has bytes it could not send at once), and paho's ``loop_misc`` runs from a timer every few
seconds for the keep-alive pings. Messages are handed over on the loop's own thread, and a
publish is written to the socket as it is made: no hand-over between threads for each
message, no thread competing with the loop for the GIL, and no wake-up every second while
nothing happens. Only paho's blocking ``connect()``/``reconnect()`` (the TCP connection and
the TLS handshake) runs on a short-lived thread; the loop takes the socket over when it
returns.

The first connection is made in the foreground so that a wrong password or an untrusted
certificate is a clear error and a non-zero exit, never a silent retry loop. Only "nothing
answers at that address" is retried (the broker may still be starting); a refused login, a
certificate that does not check out, or a TLS/plain mismatch between Hearth and the port is
reported at once, with what to change. After that, Hearth reconnects by itself when the
broker goes away, waiting 1 s and then twice as long each time up to 30 s (as paho's own
``reconnect_delay_set(1, 30)`` did); every (re)connection subscribes again and tells the
adapter, which re-sends whatever was in flight.

TLS always checks the broker's certificate *and* that it is for the host Hearth connects to.
(paho 1.5's own ``tls_set`` makes a context that skips the second check, so a certificate
signed by any trusted authority for any name would do; Hearth builds its own context.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import socket
import ssl
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt

from skill.config import Settings
from skill.errors import HearthError
from skill.hermes import Outgoing

log = logging.getLogger("hearth.mqtt")

CONNECT_TIMEOUT = 10.0
RETRY_SECONDS = (1, 2, 5, 10, 30)
KEEPALIVE = 30
"""Seconds between MQTT keep-alives; paho also uses it as the socket timeout."""
RECONNECT_SECONDS = (1.0, 30.0)
"""The first wait before reconnecting to a broker that went away, and the longest: each
failed attempt doubles it, and a connection the broker accepts starts it again at 1 s."""
MISC_SECONDS = 5.0
"""How often paho's ``loop_misc`` runs, which sends the keep-alive ping and gives up on a
connection whose ping went unanswered. A ping then leaves 30 to 35 s into a silence, well
within the 45 s (1.5 keep-alives) after which the broker drops a silent client."""
READ_BATCH = 64
"""Packets read from the socket in one go before the loop runs anything else."""
SUBACK_FAILURE = 0x80
"""The granted QoS of a subscription the broker refused (MQTT 3.1.1, 3.9.3)."""

_FATAL = frozenset({1, 2, 4, 5})
"""CONNACK codes no retry can fix (3, "server unavailable", may pass)."""
_CLOSED = -1
"""Stands in for a CONNACK code when the broker closed the connection before answering."""
_CREDENTIALS_HINT = ("--username and --password (or HEARTH_USERNAME and HEARTH_PASSWORD, "
                     "or username and password in the config file)")
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\]\s*(.*)")
_SSL_WHERE = re.compile(r"\s*\(_ssl\.c:\d+\)")
_SSL_TEXT = re.compile(r"\[SSL: [A-Z0-9_]+\]\s*([^(]*)")
_TLS_REFUSALS = ("certificate required", "unknown ca", "bad certificate", "certificate unknown",
                 "handshake failure", "certificate expired", "certificate revoked")
# X509_V_ERR_* codes that say the certificate is fine but for another name.
_NAME_MISMATCH = {62, 64}  # HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH
_EXPIRED = {9, 10}  # CERT_NOT_YET_VALID, CERT_HAS_EXPIRED
_CORK = getattr(socket, "TCP_CORK", None)  # Linux


class _NoWake:
    """Stands in for the socket paho 1.5 writes a byte to for every packet it queues.

    That byte wakes paho's own network thread out of select(); with the loop serving the
    socket there is no such thread, nobody reads the byte, and every publish would pay a
    send() for it (and once the pair's buffer is full, a send() that fails).
    """

    def send(self, data: bytes) -> int:
        return len(data)

    def close(self) -> None:
        pass


class BrokerError(HearthError):
    """The broker cannot be used with these settings (and retrying will not help)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        self.host = host
        self.port = port
        self.reason = reason
        super().__init__(f"MQTT broker {host}:{port}: {reason}")


class BrokerUnreachableError(BrokerError):
    """Nothing answered at the broker's address: the one failure a retry may cure.

    Raised only by ``connect(retry=False)``; ``hearth run`` keeps trying instead.
    ``detail`` is what the network said ("Connection refused").
    """

    def __init__(self, host: str, port: int, detail: str) -> None:
        self.detail = detail
        super().__init__(host, port, f"cannot reach it ({detail})")


def refusal(rc: int, username: str | None) -> str | None:
    """What a CONNACK return code of MQTT 3.1.1 means for the household, or None for 0.

    Mosquitto answers a wrong password with 5 ("not authorised") rather than 4, so which
    of the two it was matters less than whether Hearth sent a username at all.
    """
    if rc == 0:
        return None
    if rc == 1:
        return "the broker does not speak MQTT 3.1.1, the version Hearth uses"
    if rc == 2:
        return "the broker refused the client id"
    if rc == 3:
        return "the broker says the MQTT service is unavailable (code 3); try again later"
    if rc in (4, 5) and username is not None:
        word = "not authorised: " if rc == 5 else ""
        return (f"{word}the broker refused the username or password (user {username!r}); "
                f"check {_CREDENTIALS_HINT}")
    if rc in (4, 5):
        return ("not authorised: the broker needs a username and password, and none was "
                f"given; give them with {_CREDENTIALS_HINT}")
    return f"the broker refused the connection (code {rc})"


def _strerror(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error) or type(error).__name__
    match = _ERRNO_TEXT.search(text)
    return match.group(1) if match else text


def _paho_reason(text: str) -> str:
    """The cause in a paho log line such as ``failed to receive on socket: [SSL: X] x (…)``."""
    if match := _SSL_TEXT.search(text):
        return match.group(1).strip()
    if match := _ERRNO_TEXT.search(text):
        return match.group(1).strip()
    return _SSL_WHERE.sub("", text.rpartition(": ")[2]).strip()


def _ssl_detail(error: ssl.SSLError) -> str:
    return str(error.reason or error.strerror or error).replace("_", " ").lower()


def tls_context(settings: Settings) -> ssl.SSLContext:
    """A client context that checks the broker's certificate and the name it is for.

    Raises :class:`BrokerError` naming the file when a TLS file cannot be used.
    """
    host, port = settings.host, settings.port
    ca = settings.tls_ca_certs
    try:
        context = ssl.create_default_context(cafile=str(ca) if ca else None)
    except (ssl.SSLError, OSError) as error:
        raise BrokerError(host, port, (
            f"cannot use {ca} as the certificate authority ({_file_problem(error)}); "
            "--tls-ca-certs needs the PEM certificate of the authority that signed the "
            "broker's certificate"
        )) from None
    if settings.tls_certfile is not None:
        cert, key = settings.tls_certfile, settings.tls_keyfile
        try:
            context.load_cert_chain(str(cert), str(key) if key else None)
        except (ssl.SSLError, OSError) as error:
            files = f"{cert} and {key}" if key else str(cert)
            raise BrokerError(host, port, (
                f"cannot use {files} as the client certificate ({_file_problem(error)}); "
                "--tls-certfile needs a PEM certificate and --tls-keyfile its private key "
                "(or both in the one file)"
            )) from None
    return context


def _file_problem(error: BaseException) -> str:
    if isinstance(error, ssl.SSLError):
        return _ssl_detail(error)
    return _strerror(error)


class MqttTransport:
    """Publishes :class:`Outgoing` messages and hands incoming ones to ``on_message``."""

    def __init__(
        self,
        settings: Settings,
        loop: asyncio.AbstractEventLoop,
        topics: Sequence[str],
        on_message: Callable[[str, bytes], None],
        on_connection: Callable[[bool], None] = lambda connected: None,
        client_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.loop = loop
        self.topics = list(topics)
        self.on_message = on_message
        self.on_connection = on_connection
        self.failed: asyncio.Future[BrokerError] = loop.create_future()
        self.subscribed = asyncio.Event()
        """Set once the broker has acknowledged the subscriptions (again after reconnects)."""
        self.refused_topics: list[str] = []
        """Subscriptions the broker refused at the last (re)connection (its ACL, usually)."""
        self._connack: asyncio.Future[int] | None = None
        self._stopped = False
        self._answered = False
        """Whether the broker ever accepted the connection."""
        self._last_error = ""
        self._reconnect_error = ""
        """Why the last reconnection failed, so that a cause is warned about only once."""
        self._loop_thread = threading.get_ident()
        self._sock: Any = None
        """The socket the loop watches (paho's, a plain or an ``ssl`` socket), or None."""
        self._writing = False
        self._misc_timer: asyncio.TimerHandle | None = None
        self._misc_seconds = MISC_SECONDS
        self._retry: asyncio.TimerHandle | None = None
        self._retry_delay: float | None = None
        self._reported = False
        """Whether paho has reported the end of the current socket's connection."""
        self._received = 0
        """Messages read so far: how _read() tells a message from nothing more to read."""
        self._corked: Any = None
        self._connecting = False
        """paho's blocking connect is running on its helper thread, which owns the client."""
        self.client = mqtt.Client(client_id=client_id or f"hearth-{uuid.uuid4().hex[:12]}",
                                  clean_session=True)
        if settings.username:
            self.client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            self.client.tls_set_context(tls_context(settings))
        self.client._sockpairR.close()  # paho 1.5 is pinned: see _NoWake
        self.client._sockpairW.close()
        self.client._sockpairR = None
        self.client._sockpairW = _NoWake()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_log = self._on_log
        self.client.on_socket_open = self._on_socket_open
        self.client.on_socket_close = self._on_socket_close
        self.client.on_socket_register_write = self._on_socket_register_write
        self.client.on_socket_unregister_write = self._on_socket_unregister_write

    # -- paho's callbacks ---------------------------------------------------------------
    #
    # paho calls these from inside loop_read/loop_write/loop_misc, on the loop's thread, and
    # holds a lock of its own while it does; the transport's own handling runs afterwards,
    # as a callback of the loop. paho's connect()/reconnect() on the helper thread may call
    # on_disconnect, on_log and the socket callbacks too, hence _soon() and _on_loop().

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: int) -> None:
        if rc == 0:
            self._answered = True
            if self.topics:
                client.subscribe([(topic, 0) for topic in self.topics])
        elif rc in _FATAL:
            # No retry fixes these: the close that follows is then one asked for (code 0
            # to on_disconnect), not a lost connection to warn about.
            client.disconnect()
        self._soon(self._connected, rc)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, granted: Any) -> None:
        refused = [topic for topic, qos in zip(self.topics, granted, strict=False)
                   if qos == SUBACK_FAILURE]
        self._soon(self._subscribed, refused)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, rc: int) -> None:
        # paho 1.5's loop_misc reports an unanswered ping twice (_check_keepalive, then
        # its own check): one connection, one report.
        if self._reported:
            return
        self._reported = True
        if not self._answered:
            client.disconnect()  # closed before the first CONNACK: connect() gives up
        self._soon(self._disconnected, rc)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        # Only loop_read delivers messages, and only the loop calls it. Handed on rather
        # than called here, so that the adapter's publishes are written at once instead of
        # queued until paho's lock is free, and its exceptions reach the loop, not paho.
        self._received += 1
        self.loop.call_soon(self.on_message, message.topic, message.payload)

    def _on_log(self, client: mqtt.Client, userdata: Any, level: int, text: str) -> None:
        if level == mqtt.MQTT_LOG_ERR:
            self._last_error = text  # why a connection closed, for the error message

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._reported = False
        # From the helper thread the loop cannot be touched: _serve() takes the socket over
        # once connect() returns. (paho also reconnects on the loop's thread, from inside
        # loop_read, when a broker refuses MQTT 3.1.1 and it retries with 3.1.)
        if self._on_loop():
            self._watch(sock)

    def _on_socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if self._on_loop() and sock is self._sock:
            self._unwatch()

    def _on_socket_register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if self._on_loop() and sock is self._sock and not self._writing:
            self.loop.add_writer(sock, self._write)
            self._writing = True

    def _on_socket_unregister_write(self, client: mqtt.Client, userdata: Any,
                                    sock: Any) -> None:
        if self._on_loop() and sock is self._sock and self._writing:
            self.loop.remove_writer(sock)
            self._writing = False

    def _on_loop(self) -> bool:
        return threading.get_ident() == self._loop_thread

    def _soon(self, callback: Callable[..., None], *args: Any) -> None:
        if self._on_loop():
            self.loop.call_soon(callback, *args)
        else:
            self.loop.call_soon_threadsafe(callback, *args)

    # -- the socket, served by the loop -------------------------------------------------

    def _watch(self, sock: Any) -> None:
        self._unwatch()
        # paho writes a packet as a few small send()s; without this, Nagle's algorithm holds
        # the next message back until the broker has acknowledged the last one.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self.loop.add_reader(sock, self._read)
        self._misc_timer = self.loop.call_later(self._misc_seconds, self._misc)
        self._sync_writer()

    def _unwatch(self) -> None:
        """Forget the socket; before paho closes it, while its descriptor is still its own."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        self.loop.remove_reader(sock)
        if self._writing:
            self.loop.remove_writer(sock)
            self._writing = False
        if self._misc_timer is not None:
            self._misc_timer.cancel()
            self._misc_timer = None

    def _serve(self) -> bool:
        """Take over the socket paho connected on the helper thread; False if it is gone."""
        sock = self.client.socket()
        if sock is None:
            return False  # closed on the way: on_disconnect has said so
        if sock is not self._sock:
            self._watch(sock)
        self._sync_writer()
        return True

    def _sync_writer(self) -> None:
        # paho reports "register write" only when a send would block; its flag for that can
        # be left set by a send on the helper thread, so the loop checks for itself too.
        sock = self._sock
        want = sock is not None and self.client.want_write()
        if want == self._writing:
            return
        if want:
            self.loop.add_writer(sock, self._write)
        else:
            self.loop.remove_writer(sock)
        self._writing = want

    def _read(self) -> None:
        # paho's loop_read reads one packet; under load, going back to the selector for
        # each would cost more than the packet. A read that delivers no message is a
        # packet of another kind or nothing more to read: the selector says which.
        client = self.client
        first = self._received
        pending = False
        for _ in range(READ_BATCH):
            before = self._received
            client.loop_read()
            sock = client.socket()
            if sock is None:
                break
            # A TLS record can hold several packets; once it is in the ssl object's
            # buffer the socket no longer shows as readable, so it is drained here.
            pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
            if self._received == before and not pending:
                break
        else:
            if pending:
                self.loop.call_soon(self._read)
        if self._received != first:
            self._cork()
        self._sync_writer()

    def _cork(self) -> None:
        """Gather what the messages just read make Hearth publish into as few TCP segments.

        The messages' handlers run next, as callbacks of the loop, and the uncorking right
        after them: with TCP_NODELAY each publish would otherwise be a segment of its own,
        and on loopback each segment costs the broker a wake-up too.
        """
        sock = self._sock
        if _CORK is None or sock is None or self._corked is not None:
            return
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _CORK, 1)
            self._corked = sock
            self.loop.call_soon(self._uncork)

    def _uncork(self) -> None:
        sock, self._corked = self._corked, None
        if sock is not None and sock is self._sock:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, _CORK, 0)

    def _write(self) -> None:
        self.client.loop_write()
        self._sync_writer()

    def _misc(self) -> None:
        self._misc_timer = None
        self.client.loop_misc()  # may close the socket: then _unwatch() has run
        if self._sock is not None:
            self._misc_timer = self.loop.call_later(self._misc_seconds, self._misc)
            self._sync_writer()

    def _off_loop(self, call: Callable[[], object]) -> asyncio.Future[None]:
        """Run paho's blocking connect on a thread that ends with it.

        Not the loop's executor: its worker would stay on as a thread of the process once
        idle, and a connect that hangs would hold up the exit (the executor is joined).
        """
        done: asyncio.Future[None] = self.loop.create_future()

        def settle(error: BaseException | None) -> None:
            if done.done():  # the caller was cancelled
                return
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

        def run() -> None:
            error: BaseException | None = None
            try:
                call()
            except Exception as caught:  # handed to the loop to judge
                error = caught
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                self.loop.call_soon_threadsafe(settle, error)

        threading.Thread(target=run, name="hearth-mqtt-connect", daemon=True).start()
        return done

    # -- the transport's state, on the loop ---------------------------------------------

    def _connected(self, rc: int) -> None:
        first = self._connack is not None and not self._connack.done()
        if first and self._connack is not None:
            self._connack.set_result(rc)  # the first connection: connect() reports it
            if rc != 0:
                self._stopped = True  # and gives up: paho's "disconnected" is no news
                return
        if rc == 0:
            self._retry_delay = None
            self._reconnect_error = ""
            log.info("connected to %s:%d", self.settings.host, self.settings.port)
            self.on_connection(True)
        elif rc in _FATAL:  # 3 (unavailable) is retried
            self._fail(refusal(rc, self.settings.username) or f"code {rc}")

    def _subscribed(self, refused: list[str]) -> None:
        if refused != self.refused_topics and refused:
            who = f"user {self.settings.username!r}" if self.settings.username else (
                "anonymous clients")
            log.error("MQTT broker %s:%d refused Hearth's subscription to %s: Hearth will not "
                      "hear those messages; allow %s to read them in the broker's ACL",
                      self.settings.host, self.settings.port, ", ".join(refused), who)
        self.refused_topics = refused
        self.subscribed.set()

    def _disconnected(self, rc: int) -> None:
        self.subscribed.clear()
        if self._connack is not None and not self._connack.done():
            # Closed before answering CONNECT; this may even come while paho's connect()
            # is still returning on the helper thread, so connect() does the stopping.
            self._connack.set_result(_CLOSED)
            self._stopped = True
            return
        if rc != 0 and not self._stopped:
            log.warning("lost the connection to %s:%d; reconnecting",
                        self.settings.host, self.settings.port)
        self.on_connection(False)
        self._schedule_reconnect()

    def _schedule_reconnect(self) -> None:
        if self._stopped or self._connecting or self._retry is not None:
            return
        low, high = RECONNECT_SECONDS
        delay = low if self._retry_delay is None else min(2 * self._retry_delay, high)
        self._retry_delay = delay
        self._retry = self.loop.call_later(delay, self._reconnect)

    def _reconnect(self) -> None:
        self._retry = None
        if self._stopped:
            return
        self._connecting = True
        self._off_loop(self.client.reconnect).add_done_callback(self._reconnected)

    def _reconnected(self, attempt: asyncio.Future[None]) -> None:
        self._connecting = False
        error = None if attempt.cancelled() else attempt.exception()
        if self._stopped:
            if error is None:
                self.client.disconnect()  # closed while this attempt was under way
            return
        if error is not None:
            reason = _strerror(error)
            # Said once per cause (an expired certificate, a name that no longer resolves
            # would otherwise be silent for ever), then quietly retried.
            level = logging.DEBUG if reason == self._reconnect_error else logging.WARNING
            self._reconnect_error = reason
            log.log(level, "cannot reconnect to %s:%d yet (%s); trying again",
                    self.settings.host, self.settings.port, reason)
            self._schedule_reconnect()
        elif not self._serve():
            self._schedule_reconnect()

    def _stop(self) -> None:
        """No more reconnecting: this connection is given up or closed."""
        self._stopped = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if not self._connecting:  # else the helper thread owns the client: _reconnected()
            self.client.disconnect()  # disconnects once its attempt is over
        self._sync_writer()

    def _fail(self, reason: str) -> None:
        error = BrokerError(self.settings.host, self.settings.port, reason)
        log.error("%s", error)
        if not self.failed.done():
            self.failed.set_result(error)
        self._stop()

    async def connect(self, *, retry: bool = True, timeout: float = CONNECT_TIMEOUT) -> None:
        """Connect for the first time, retrying only what a retry can fix.

        With ``retry=False`` (``hearth doctor``) an unreachable broker raises
        :class:`BrokerUnreachableError` at once, and twice ``timeout`` also bounds the TCP
        connection and the TLS handshake. Every other failure raises :class:`BrokerError`.
        """
        self._loop_thread = threading.get_ident()
        host, port = self.settings.host, self.settings.port
        # paho gives up on a connection that is silent for a keep-alive, CONNACK or not:
        # twice the timeout lets "no answer to CONNECT" be the one that speaks.
        keepalive = KEEPALIVE if retry else max(2, math.ceil(2 * timeout))
        self._misc_seconds = min(MISC_SECONDS, keepalive / 2)
        # Made before the socket: paho may report a refusal or a closed connection from
        # inside connect(), before the helper thread hands back.
        connack = self._connack = self.loop.create_future()
        attempt = 0
        while True:
            if connack.done():  # an earlier attempt's connection closed on its way out
                connack = self._connack = self.loop.create_future()
                self._stopped = False
            try:
                self._connecting = True
                try:
                    await self._off_loop(lambda: self._connect_socket(keepalive))
                finally:
                    self._connecting = False
                break
            except ssl.SSLCertVerificationError as error:
                raise BrokerError(host, port, self._untrusted(error)) from None
            except ssl.SSLError as error:
                raise BrokerError(host, port, self._tls_failed(_ssl_detail(error))) from None
            except (ConnectionResetError, BrokenPipeError) as error:
                if not self.settings.tls:
                    if not retry:
                        raise BrokerUnreachableError(host, port, _strerror(error)) from None
                    await self._wait_to_retry(attempt, error)
                    attempt += 1
                    continue
                # The port took the TCP connection, then dropped the TLS handshake.
                raise BrokerError(host, port, self._tls_failed(_strerror(error))) from None
            except OSError as error:
                if not retry:
                    raise BrokerUnreachableError(host, port, _strerror(error)) from None
                await self._wait_to_retry(attempt, error)
                attempt += 1
        self._serve()
        try:
            rc = await asyncio.wait_for(connack, timeout)
        except TimeoutError:
            self._stop()
            raise BrokerError(host, port, (
                f"no answer to CONNECT within {timeout:g} s; is {host}:{port} an MQTT broker?"
            )) from None
        if rc == 0:
            # The log only explains a first connection that fails; paho formats a line for
            # every packet while anyone listens.
            self.client.on_log = None
            return
        self._stop()
        if rc == _CLOSED:
            raise BrokerError(host, port, self._closed())
        raise BrokerError(host, port, refusal(rc, self.settings.username) or f"code {rc}")

    async def _wait_to_retry(self, attempt: int, error: OSError) -> None:
        delay = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
        log.warning("cannot reach the MQTT broker at %s:%d (%s); trying again in %d s",
                    self.settings.host, self.settings.port, _strerror(error), delay)
        await asyncio.sleep(delay)

    def _untrusted(self, error: ssl.SSLCertVerificationError) -> str:
        settings = self.settings
        said = error.verify_message or _ssl_detail(error)
        if error.verify_code in _NAME_MISMATCH:
            hint = (f"the broker's certificate is not for {settings.host}; connect with --host "
                    "set to a name (or address) the certificate was made for")
        elif error.verify_code in _EXPIRED:
            hint = "the broker's certificate is out of date; the broker needs a new one"
        elif settings.tls_ca_certs is not None:
            hint = (f"the broker's certificate is not signed by the authority in "
                    f"{settings.tls_ca_certs}; give the right one with --tls-ca-certs")
        else:
            hint = ("the broker's certificate is not signed by an authority this machine "
                    "trusts; give the certificate of the authority that signed it with "
                    "--tls-ca-certs FILE (or HEARTH_TLS_CA_CERTS)")
        return f"TLS failed: certificate verify failed ({said}): {hint}"

    def _tls_failed(self, detail: str) -> str:
        settings = self.settings
        if "certificate required" in detail or (
                "handshake failure" in detail and settings.tls_certfile is None):
            hint = ("the broker asks for a client certificate; give it with --tls-certfile "
                    "and --tls-keyfile")
        elif settings.tls_certfile is not None and any(
                word in detail for word in _TLS_REFUSALS):
            hint = (f"the broker does not accept the client certificate "
                    f"{settings.tls_certfile}")
        else:
            hint = (f"the TLS handshake did not complete; is port {settings.port} a TLS "
                    "listener? (leave out --tls for a plain MQTT port such as 1883)")
        return f"TLS failed ({detail}): {hint}"

    def _closed(self) -> str:
        settings = self.settings
        detail = _paho_reason(self._last_error)
        if settings.tls and any(word in detail for word in _TLS_REFUSALS):
            return self._tls_failed(detail)  # TLS 1.3 sends these after the handshake
        text = "the broker closed the connection without answering CONNECT" + (
            f" ({detail})" if detail else "")
        if not settings.tls:
            return (f"{text}; if port {settings.port} is a TLS listener, connect with --tls "
                    "(and --tls-ca-certs FILE)")
        if settings.tls_certfile is None:
            return (f"{text}; if the broker asks for a client certificate, give it with "
                    "--tls-certfile and --tls-keyfile")
        return (f"{text}; check that the broker accepts the client certificate "
                f"{settings.tls_certfile}")

    def _connect_socket(self, keepalive: int = KEEPALIVE) -> None:
        self.client.connect(self.settings.host, self.settings.port, keepalive=keepalive)

    def publish(self, message: Outgoing) -> None:
        # With no socket, paho would only queue the message for reconnect() to throw away;
        # while paho's connect runs on the helper thread, the client is not the loop's.
        if self._sock is None:
            return
        self.client.publish(message.topic, message.payload, qos=0)

    def close(self) -> None:
        self._stop()
