"""The benchmark's own MQTT client: MQTT 3.1.1, QoS 0, one socket, no threads.

The measuring side of every test is this small client rather than paho-mqtt, so that it costs
little CPU (the machine has two cores, shared with the broker and the process measured) and
a reply is timed the moment it is read, in the one thread that also sent the request. What
it measures (Hearth, the peer skill, the echo) all use paho-mqtt as they would in real use.
"""

from __future__ import annotations

import select
import socket
import struct
import time
from collections.abc import Iterable

HOST = "127.0.0.1"
CONNECT, CONNACK, PUBLISH, SUBSCRIBE, SUBACK = 1, 2, 3, 8, 9


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str | bytes) -> bytes:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return struct.pack("!H", len(data)) + data


def publish_frame(topic: str, payload: bytes) -> bytes:
    """One QoS 0 PUBLISH packet."""
    body = _string(topic) + payload
    return bytes((PUBLISH << 4,)) + _length(len(body)) + body


class Client:
    """Connect, subscribe, publish and read; every call on the caller's thread."""

    def __init__(self, port: int, client_id: str, host: str = HOST) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = bytearray()
        # Clean session, no keep-alive (a benchmark run is short; no pings to disturb it).
        body = _string("MQTT") + bytes((4, 0x02)) + struct.pack("!H", 0) + _string(client_id)
        self.sock.sendall(bytes((CONNECT << 4,)) + _length(len(body)) + body)
        kind, data = self._packet(10.0)
        if kind != CONNACK or data[1] != 0:
            raise ConnectionError(f"broker refused the connection: {data!r}")
        self.sock.setblocking(False)
        self._next_id = 1

    def subscribe(self, topics: Iterable[str]) -> None:
        packet_id = self._next_id
        self._next_id += 1
        body = struct.pack("!H", packet_id) + b"".join(_string(t) + b"\x00" for t in topics)
        self.sock.setblocking(True)
        try:
            self.sock.sendall(bytes((SUBSCRIBE << 4 | 2,)) + _length(len(body)) + body)
            while True:
                kind, data = self._packet(10.0)
                if kind == SUBACK and struct.unpack("!H", data[:2])[0] == packet_id:
                    break
        finally:
            self.sock.setblocking(False)

    def publish(self, topic: str, payload: bytes) -> None:
        self.send(publish_frame(topic, payload))

    def send(self, data: bytes) -> None:
        """Bytes of one or more packets, written out in full."""
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
            except BlockingIOError:
                select.select([], [self.sock], [], 1.0)
                continue
            view = view[sent:]

    def read(self, timeout: float) -> list[tuple[str, bytes]]:
        """The PUBLISH messages that arrive within ``timeout`` seconds (maybe none); returns
        as soon as at least one has been read."""
        messages = self._parse()
        if messages:
            return messages
        ready, _, _ = select.select([self.sock], [], [], max(timeout, 0.0))
        if not ready:
            return []
        while True:
            try:
                chunk = self.sock.recv(1 << 18)
            except BlockingIOError:
                break
            if not chunk:
                raise ConnectionError("the broker closed the connection")
            self._buffer += chunk
            if len(chunk) < 1 << 18:
                break
        return self._parse()

    def _parse(self) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = []
        buffer = self._buffer
        position = 0
        while True:
            parsed = _frame(buffer, position)
            if parsed is None:
                break
            header, start, end = parsed
            if header >> 4 == PUBLISH:
                size = struct.unpack_from("!H", buffer, start)[0]
                topic = bytes(buffer[start + 2 : start + 2 + size]).decode("utf-8")
                offset = start + 2 + size + (2 if header & 0x06 else 0)
                out.append((topic, bytes(buffer[offset:end])))
            position = end
        if position:
            del buffer[:position]
        return out

    def _packet(self, timeout: float) -> tuple[int, bytes]:
        """The next packet of any kind, blocking (only while connecting and subscribing)."""
        deadline = time.monotonic() + timeout
        while True:
            parsed = _frame(self._buffer, 0)
            if parsed is not None:
                header, start, end = parsed
                data = bytes(self._buffer[start:end])
                del self._buffer[:end]
                return header >> 4, data
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the broker closed the connection")
            self._buffer += chunk

    def close(self) -> None:
        try:
            self.sock.setblocking(True)
            self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        except OSError:
            pass
        self.sock.close()


def _frame(buffer: bytearray, position: int) -> tuple[int, int, int] | None:
    """(first byte, start of the variable header, end) of the packet at ``position``."""
    if len(buffer) - position < 2:
        return None
    multiplier, length, index = 1, 0, position + 1
    while True:
        if index >= len(buffer):
            return None
        byte = buffer[index]
        length += (byte & 0x7F) * multiplier
        multiplier *= 128
        index += 1
        if not byte & 0x80:
            break
    end = index + length
    if end > len(buffer):
        return None
    return buffer[position], index, end
