"""The MQTT transport served by the asyncio loop itself, against a real Mosquitto.

paho's network thread is gone: these check that no thread is left while connected, that
messages go both ways, that keep-alives still flow, and that a broker going away (killed,
or silent) is noticed and reconnected to, with the subscriptions made again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from conftest import HOST, TEST_RITUALS, Mosquitto

from skill.config import Settings
from skill.hermes import Outgoing
from skill.mqtt import BrokerError, MqttTransport

pytestmark = pytest.mark.broker

TOPIC = "hearth-test/echo"


class Client:
    """A transport subscribed to TOPIC, keeping what it hears and its connection changes."""

    def __init__(self, port: int, topics: tuple[str, ...] = (TOPIC,)) -> None:
        self.heard: list[tuple[str, bytes]] = []
        self.changes: list[bool] = []
        self.arrived = asyncio.Event()
        self.changed = asyncio.Event()
        self.transport = MqttTransport(
            Settings(host=HOST, port=port, rituals=TEST_RITUALS), asyncio.get_running_loop(),
            topics, self._message, self._connection,
        )

    def _message(self, topic: str, payload: bytes) -> None:
        self.heard.append((topic, payload))
        self.arrived.set()

    def _connection(self, connected: bool) -> None:
        self.changes.append(connected)
        self.changed.set()

    async def connected(self, *, retry: bool = True, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self.transport.connect(retry=retry, timeout=timeout), 10)
        await asyncio.wait_for(self.transport.subscribed.wait(), 10)

    async def change(self, expected: bool, timeout: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.changes or self.changes[-1] is not expected:
            self.changed.clear()
            left = deadline - asyncio.get_running_loop().time()
            await asyncio.wait_for(self.changed.wait(), max(left, 0.01))

    async def hear(self, count: int, timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.heard) < count:
            self.arrived.clear()
            left = deadline - asyncio.get_running_loop().time()
            await asyncio.wait_for(self.arrived.wait(), max(left, 0.01))


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


async def _threads_settle(timeout: float = 3.0) -> list[threading.Thread]:
    """The threads left once the helper thread of the connect has ended."""
    deadline = time.monotonic() + timeout
    while True:
        others = [t for t in threading.enumerate() if t is not threading.main_thread()]
        if not others or time.monotonic() > deadline:
            return others
        await asyncio.sleep(0.02)


def test_no_thread_but_the_loops_while_connected(broker: Mosquitto) -> None:
    async def main() -> None:
        client = Client(broker.port)
        await client.connected()
        assert await _threads_settle() == []
        sock = client.transport.client.socket()
        assert sock is not None
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        client.transport.publish(Outgoing(TOPIC, b"still alone"))
        await client.hear(1)
        assert await _threads_settle() == []
        client.transport.close()

    run(main)


def test_messages_round_trip_in_order(broker: Mosquitto) -> None:
    async def main() -> None:
        client = Client(broker.port)
        await client.connected()
        assert client.changes == [True]
        sent = [f"message {n}".encode() * (1 + n % 50) for n in range(2000)]
        for payload in sent:
            client.transport.publish(Outgoing(TOPIC, payload))
        await client.hear(len(sent), timeout=20)
        assert client.heard == [(TOPIC, payload) for payload in sent]
        client.transport.close()
        await client.change(False, 5)
        assert client.transport.client.socket() is None

    run(main)


def test_a_large_message_goes_out_whole(broker: Mosquitto) -> None:
    """Larger than the socket's buffer: paho asks the loop to say when it may write more."""
    async def main() -> None:
        client = Client(broker.port)
        await client.connected()
        big = os.urandom(8 * 1024 * 1024)
        client.transport.publish(Outgoing(TOPIC, big))
        client.transport.publish(Outgoing(TOPIC, b"after"))
        await client.hear(2, timeout=20)
        assert client.heard == [(TOPIC, big), (TOPIC, b"after")]
        client.transport.close()

    run(main)


def test_reconnects_and_subscribes_again_after_the_broker_is_killed(broker: Mosquitto) -> None:
    async def main() -> None:
        client = Client(broker.port)
        await client.connected()
        broker.kill()
        await client.change(False, 5)
        assert not client.transport.subscribed.is_set()
        client.transport.publish(Outgoing(TOPIC, b"into the void"))  # must not raise
        await asyncio.sleep(1.5)  # one attempt fails while the broker is down
        client.transport.publish(Outgoing(TOPIC, b"into the void"))
        broker.start()  # on the loop: a thread of the executor would stay on
        await client.change(True, 10)
        assert client.changes == [True, False, True]
        await asyncio.wait_for(client.transport.subscribed.wait(), 5)
        client.transport.publish(Outgoing(TOPIC, b"back"))
        await client.hear(1)
        assert client.heard == [(TOPIC, b"back")]
        assert await _threads_settle() == []
        client.transport.close()

    run(main)


def test_keepalive_pings_keep_a_quiet_connection(broker: Mosquitto) -> None:
    """Keep-alive 2 s (the doctor's with timeout=1): Mosquitto drops a client silent for 3 s."""
    async def main() -> None:
        client = Client(broker.port)
        await client.connected(retry=False, timeout=1)
        await asyncio.sleep(7)
        assert client.changes == [True]
        client.transport.publish(Outgoing(TOPIC, b"still here"))
        await client.hear(1)
        client.transport.close()

    run(main)


def test_a_broker_that_stops_answering_is_given_up_and_reconnected(broker: Mosquitto) -> None:
    """No FIN, no RST: only the unanswered ping tells (a frozen broker, a pulled cable)."""
    async def main() -> None:
        client = Client(broker.port)
        await client.connected(retry=False, timeout=1)
        assert broker.process is not None
        pid = broker.process.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            await client.change(False, 10)
        finally:
            os.kill(pid, signal.SIGCONT)
        await client.change(True, 10)
        await asyncio.wait_for(client.transport.subscribed.wait(), 5)
        client.transport.publish(Outgoing(TOPIC, b"awake"))
        await client.hear(1)
        client.transport.close()

    run(main)


def test_close_while_the_broker_is_away_stops_reconnecting(broker: Mosquitto) -> None:
    async def main() -> None:
        client = Client(broker.port)
        await client.connected()
        broker.kill()
        await client.change(False, 5)
        client.transport.close()
        broker.start()  # on the loop: a thread of the executor would stay on
        await asyncio.sleep(3)  # past the first retries
        assert client.changes == [True, False]
        assert client.transport.client.socket() is None

    run(main)


def test_a_close_before_connack_is_an_error_not_a_retry() -> None:
    """A TLS listener reached without TLS closes the connection without answering."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def close_the_first() -> None:
        conn, _ = listener.accept()
        conn.recv(100)
        conn.close()

    threading.Thread(target=close_the_first, daemon=True).start()

    async def main() -> None:
        client = Client(port)
        with pytest.raises(BrokerError, match="closed the connection without answering"):
            await client.connected()
        assert client.transport.client.socket() is None

    try:
        run(main)
    finally:
        listener.close()


def test_a_broker_that_stays_away_is_warned_about_once_per_cause(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        client = Client(broker.port)
        await client.connected()
        with caplog.at_level("DEBUG", logger="hearth.mqtt"):
            broker.kill()
            await client.change(False, 5)
            await asyncio.sleep(4.5)  # attempts after 1, 2 (3 s in) and 4 s (7 s in)
            tries = [r for r in caplog.records if "cannot reconnect" in r.getMessage()]
            assert len(tries) >= 2, [r.getMessage() for r in caplog.records]
            assert [r.levelname for r in tries] == ["WARNING"] + ["DEBUG"] * (len(tries) - 1)
            assert "Connection refused" in tries[0].getMessage()
            broker.start()
            await client.change(True, 10)
        client.transport.close()

    run(main)
