"""``hearth demo``: Hearth with nothing else installed, in one terminal.

Everything a real installation has is here, in one process, talking MQTT on loopback:

* an MQTT broker (``amqtt``) on a free port of 127.0.0.1;
* Rhasspy's own dialogue manager (``rhasspy-dialogue-hermes``), unchanged;
* ``hearth run`` itself;
* a text satellite (:mod:`skill.satellite`) standing in for the speaker and microphone:
  what would be spoken is printed, and typed sentences are understood by ``rhasspy-nlu``
  trained on the very sentences ``hearth sentences`` gives the real assistant — so a
  sentence that works here works on the speaker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sys
import threading
from collections.abc import Callable
from typing import TextIO

import paho.mqtt.client as mqtt
from amqtt.broker import Broker
from rhasspydialogue_hermes import DialogueHermesMqtt

from skill.config import Settings
from skill.loader import load_library
from skill.loopback import HOST, free_port
from skill.nlu import build_sentences
from skill.recognizer import train
from skill.satellite import Heard, Satellite
from skill.service import Service, report_problems

log = logging.getLogger("hearth.demo")


class DialogueManager:
    """Rhasspy's dialogue manager, on its own thread and event loop, as its service runs it."""

    def __init__(self, port: int, session_timeout: float = 30.0) -> None:
        self.client = mqtt.Client(client_id="rhasspy-dialogue-manager")
        self.hermes = DialogueHermesMqtt(self.client, session_timeout=session_timeout)
        self.port = port
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, name="dialogue-manager", daemon=True)

    def start(self) -> DialogueManager:
        self.client.connect(HOST, self.port)
        self.client.loop_start()
        self.thread.start()
        return self

    def _run(self) -> None:
        loop = self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        main = loop.create_task(self.hermes.handle_messages_async())
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(main)
        # Its session timers are still waiting; cancel them so the loop closes cleanly.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        if self.loop is not None:
            loop = self.loop
            loop.call_soon_threadsafe(lambda: [t.cancel() for t in asyncio.all_tasks(loop)])
        self.thread.join(timeout=5)


def _printer(out: TextIO) -> Callable[[Heard], None]:
    def show(heard: Heard) -> None:
        text = f"Hearth: {heard.text}" if heard.kind == "say" else "♪ (chime)"
        print(text, file=out, flush=True)
    return show


async def run_demo(settings: Settings, *, speed: float = 1.0, source: TextIO | None = None,
                   out: TextIO | None = None, site_id: str = "default") -> int:
    out = out or sys.stdout
    source = source or sys.stdin
    # The dialogue manager and the broker chatter at INFO; the console is for the couple.
    for name in ("amqtt", "rhasspydialogue_hermes", "transitions"):
        logging.getLogger(name).setLevel(logging.ERROR)
    port = free_port()
    broker = Broker({"listeners": {"default": {"type": "tcp", "bind": f"{HOST}:{port}"}},
                     "sys_interval": 0})
    await broker.start()
    loop = asyncio.get_running_loop()
    # Connecting blocks, and the broker answers on this very loop: connect from a thread.
    dialogue = await loop.run_in_executor(None, DialogueManager(port).start)
    library = load_library(settings.rituals)
    report_problems(library)
    recognizer = train(build_sentences(library))
    satellite = Satellite(HOST, port, site_id, recognizer, show=_printer(out), pace=1 / speed)
    await loop.run_in_executor(None, satellite.start)
    service = Service(dataclasses.replace(settings, host=HOST, port=port), speed=speed)
    running = asyncio.create_task(service.run())
    finished = asyncio.Event()

    def read() -> None:
        for line in source:
            if line.strip():
                satellite.utter(line.strip())
        loop.call_soon_threadsafe(finished.set)

    try:
        await asyncio.wait({running, asyncio.create_task(service.ready.wait())},
                           return_when=asyncio.FIRST_COMPLETED)
        print(_banner(port, speed), file=out, flush=True)
        threading.Thread(target=read, name="console", daemon=True).start()
        await asyncio.wait({running, asyncio.create_task(finished.wait())},
                           return_when=asyncio.FIRST_COMPLETED)
        if finished.is_set() and not running.done():
            await _until_quiet(service)
    finally:
        service.stop()
        code = await running
        satellite.stop()
        dialogue.stop()
        await broker.shutdown()
    return code


async def _until_quiet(service: Service) -> None:
    """With the console closed, let a ritual that is running finish on its timers."""
    await asyncio.sleep(1.0)
    adapter = service.adapter
    while adapter is not None and not all(site.idle for site in adapter.sites.values()):
        await asyncio.sleep(0.5)


def _banner(port: int, speed: float) -> str:
    faster = f", time x{speed:g}" if speed != 1 else ""
    return (
        f"Hearth demo: broker on {HOST}:{port}, Rhasspy's dialogue manager, "
        f"and this console as the speaker{faster}.\n"
        "Type what you would say to the assistant, for example:\n"
        "  start the appreciation round   |   which rituals are there\n"
        "  pause   resume   I'm done   repeat that   how much time is left   stop\n"
        "Ctrl-D quits."
    )
