"""The physical limit: a bare paho-mqtt client that republishes every message at once.

``python -m bench.echo --port N``: subscribes to ``bench/echo/in`` and publishes each
payload, unchanged, to ``bench/echo/out`` from inside its ``on_message``, in paho's own loop
(``loop_forever``) on the main thread: nothing parsed, nothing built, no asyncio.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

import paho.mqtt.client as mqtt

IN_TOPIC = "bench/echo/in"
OUT_TOPIC = "bench/echo/out"


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.echo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    client = mqtt.Client(client_id="bench-echo", clean_session=True)

    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, rc: int) -> None:
        client.subscribe(IN_TOPIC, 0)

    def on_subscribe(client: mqtt.Client, userdata: Any, mid: int, granted: Any) -> None:
        print("echo: serving", file=sys.stderr, flush=True)

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        client.publish(OUT_TOPIC, message.payload, qos=0)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    signal.signal(signal.SIGTERM, lambda *_: client.disconnect())
    client.connect(args.host, args.port, keepalive=60)
    client.loop_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
