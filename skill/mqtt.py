"""The MQTT connection: paho-mqtt on its own network thread, bridged to the asyncio loop.

The first connection is made in the foreground so that a wrong password or an untrusted
certificate is a clear error and a non-zero exit, never a silent retry loop. After that,
paho reconnects by itself when the broker goes away; every (re)connection subscribes again
and tells the adapter, which re-sends whatever was in flight.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
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

# CONNACK return codes of MQTT 3.1.1 that no retry can fix.
_REFUSED = {
    1: "the broker does not speak this MQTT version",
    2: "the broker refused the client id",
    4: "the broker refused the username or password",
    5: "the broker says this client is not authorised",
}


class BrokerError(HearthError):
    """The broker cannot be used with these settings (and retrying will not help)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        self.host = host
        self.port = port
        self.reason = reason
        super().__init__(f"MQTT broker {host}:{port}: {reason}")


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
        self._connack: asyncio.Future[int] | None = None
        self.client = mqtt.Client(client_id=client_id or f"hearth-{uuid.uuid4().hex[:12]}",
                                  clean_session=True)
        if settings.username:
            self.client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            self.client.tls_set(
                ca_certs=str(settings.tls_ca_certs) if settings.tls_ca_certs else None,
                certfile=str(settings.tls_certfile) if settings.tls_certfile else None,
                keyfile=str(settings.tls_keyfile) if settings.tls_keyfile else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    # -- paho's thread ------------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: int) -> None:
        if rc == 0:
            client.subscribe([(topic, 0) for topic in self.topics])
        self.loop.call_soon_threadsafe(self._connected, rc)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, granted: Any) -> None:
        self.loop.call_soon_threadsafe(self.subscribed.set)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, rc: int) -> None:
        self.loop.call_soon_threadsafe(self._disconnected, rc)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.loop.call_soon_threadsafe(self.on_message, message.topic, message.payload)

    # -- the loop's thread --------------------------------------------------------------

    def _connected(self, rc: int) -> None:
        if self._connack is not None and not self._connack.done():
            self._connack.set_result(rc)
        if rc in _REFUSED:
            self._fail(_REFUSED[rc])
            return
        if rc == 0:
            log.info("connected to %s:%d", self.settings.host, self.settings.port)
            self.on_connection(True)

    def _disconnected(self, rc: int) -> None:
        self.subscribed.clear()
        if rc != 0:
            log.warning("lost the connection to %s:%d; reconnecting",
                        self.settings.host, self.settings.port)
        self.on_connection(False)

    def _fail(self, reason: str) -> None:
        error = BrokerError(self.settings.host, self.settings.port, reason)
        log.error("%s", error)
        if not self.failed.done():
            self.failed.set_result(error)
        self.client.loop_stop()
        self.client.disconnect()

    async def connect(self) -> None:
        """Connect for the first time, retrying only what a retry can fix."""
        host, port = self.settings.host, self.settings.port
        for attempt in range(10**9):
            try:
                await self.loop.run_in_executor(None, self._connect_socket)
                break
            except ssl.SSLError as error:
                raise BrokerError(host, port, f"TLS failed: {error.reason or error}") from None
            except OSError as error:
                delay = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
                log.warning("cannot reach the MQTT broker at %s:%d (%s); trying again in %d s",
                            host, port, error.strerror or error, delay)
                await asyncio.sleep(delay)
        self._connack = self.loop.create_future()
        self.client.loop_start()
        try:
            rc = await asyncio.wait_for(self._connack, CONNECT_TIMEOUT)
        except TimeoutError:
            self.client.loop_stop()
            raise BrokerError(host, port, "no answer to CONNECT") from None
        if rc != 0:
            raise self.failed.result() if self.failed.done() else BrokerError(
                host, port, f"connection refused (code {rc})"
            )

    def _connect_socket(self) -> None:
        self.client.connect(self.settings.host, self.settings.port, keepalive=30)

    def publish(self, message: Outgoing) -> None:
        self.client.publish(message.topic, message.payload, qos=0)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
