"""``hearth run``: the long-running skill, wired together.

Settings → rituals → the MQTT transport → the Hermes adapter. Ritual files changed while it
runs are picked up (every few seconds, or at once on SIGHUP) without touching the rituals in
progress; a file that breaks keeps its previous version in use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

from skill import __version__, hermes
from skill.adapter import Adapter
from skill.config import Settings
from skill.errors import HearthError
from skill.loader import Library, load_library
from skill.mqtt import BrokerError, MqttTransport
from skill.scheduler import Keeper, Planner, Scheduler, local_zone
from skill.store import FILE_NAME, Store, StoreDeckHistory

log = logging.getLogger("hearth")

RELOAD_SECONDS = 3.0
"""How often the rituals folder is looked at; a stat of a few files, nothing more."""


def open_store(settings: Settings) -> Store:
    """The household's data file, with the config file's schedules brought in."""
    store = Store(settings.data_dir / FILE_NAME)
    store.sync_config_schedules(
        [(entry.ritual, entry.site, entry.when, entry.names) for entry in settings.schedules]
    )
    return store


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # Hearth's own DEBUG is what a household wants to read; the libraries' is noise
    # ("Looking for jobs to run" every wake-up).
    for library in ("apscheduler", "tzlocal", "asyncio"):
        logging.getLogger(library).setLevel(max(logging.getLevelName(level), logging.INFO))


def report_problems(library: Library) -> None:
    for problem_file in library.problems:
        for problem in problem_file.problems:
            log.error("%s", problem)


def reload(previous: Library, folder: Path) -> Library:
    """The folder loaded again; a file that now fails keeps its previous ritual."""
    fresh = load_library(folder)
    report_problems(fresh)
    rituals = dict(fresh.rituals)
    broken = {problem.source for problem in fresh.problems}
    for ritual_id, ritual in previous.rituals.items():
        if ritual.source in broken and ritual_id not in rituals:
            log.warning("%s is broken; still using its previous version", ritual.source)
            rituals[ritual_id] = ritual
    return Library(rituals, fresh.decks, fresh.problems)


def snapshot(folder: Path) -> tuple[tuple[str, float, int], ...]:
    """What changed-ness is judged by: names, times and sizes of the YAML files."""
    entries = []
    for path in sorted([*folder.glob("*.y*ml"), *folder.glob("decks/*.y*ml")]):
        try:
            stat = path.stat()
        except OSError:
            continue
        entries.append((str(path), stat.st_mtime, stat.st_size))
    return tuple(entries)


class Service:
    """One running skill: its adapter, its connection and its watch on the rituals."""

    def __init__(self, settings: Settings, *, client_id: str | None = None,
                 speed: float = 1.0) -> None:
        self.settings = settings
        self.speed = speed
        self.client_id = client_id
        self.library = load_library(settings.rituals)
        report_problems(self.library)
        self._seen = snapshot(settings.rituals)
        self.stopping = asyncio.Event()
        self.ready = asyncio.Event()
        """Set when Hearth is connected and subscribed: messages from then on reach it."""
        self.adapter: Adapter | None = None
        self.transport: MqttTransport | None = None
        self.scheduler: Scheduler | None = None

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        settings = self.settings
        log.info("loaded %d rituals from %s", len(self.library.rituals), settings.rituals)
        try:
            store = open_store(settings)
        except HearthError as error:
            log.error("%s", error)
            return 1
        zone = local_zone(settings.timezone)
        planner = Planner(store, zone, grace=timedelta(minutes=settings.grace_minutes))
        keeper = Keeper(planner, lambda: {r.id: r.title for r in self.library.rituals.values()})
        adapter = self.adapter = Adapter(
            self.library, _Deferred(self), loop=loop, names=settings.names_for,
            site_ids=settings.site_ids, speed=self.speed, household=keeper,
            history=StoreDeckHistory(store), grace=settings.grace_minutes * 60.0,
            invitation_retry=settings.invitation_retry_minutes * 60.0,
        )
        scheduler = self.scheduler = keeper.scheduler = Scheduler(planner, adapter.offer,
                                                                   loop=loop)
        self._install_signals(loop)
        try:  # a TLS file that cannot be used is refused here
            transport = self.transport = MqttTransport(
                settings, loop, hermes.subscriptions(), adapter.on_message,
                adapter.set_connected, client_id=self.client_id,
            )
        except BrokerError as error:
            log.error("%s", error)
            store.close()
            return 1
        code = await self._until_subscribed(transport)
        if code is not None:
            store.close()
            return code
        scheduler.start()
        for interrupted in keeper.interrupted():
            adapter.offer_resume(interrupted)
        log.info("%d schedules, time zone %s, data in %s", len(store.schedules()), zone.key,
                 store.path)
        sites = ", ".join(settings.site_ids) or "all sites"
        log.info("serving %s", sites)
        self.ready.set()
        watcher = asyncio.create_task(self._watch())
        transport.failed.add_done_callback(lambda _: self.stopping.set())
        try:
            await self.stopping.wait()
        finally:
            watcher.cancel()
            scheduler.shutdown()
            adapter.close()
            transport.close()
            store.close()
        if transport.failed.done():
            return 1
        log.info("stopped")
        return 0

    async def _until_subscribed(self, transport: MqttTransport) -> int | None:
        """Connect and subscribe; the exit code instead if a stop or a refusal comes first.

        A stop (SIGTERM) must work while the broker is still out of reach, and between
        CONNACK and SUBACK the broker may still refuse Hearth.
        """
        stopping = asyncio.ensure_future(self.stopping.wait())
        connecting = asyncio.ensure_future(transport.connect())
        try:
            await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not connecting.done():
                connecting.cancel()
                log.info("stopped before the broker could be reached")
                return 0
            connecting.result()
            subscribed = asyncio.ensure_future(transport.subscribed.wait())
            first: set[asyncio.Future[Any]] = {subscribed, stopping, transport.failed}
            await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
            subscribed.cancel()
        except BrokerError as error:
            log.error("%s", error)
            return 1
        finally:
            stopping.cancel()
        if transport.subscribed.is_set():
            return None
        transport.close()
        if transport.failed.done():
            return 1
        log.info("stopped before the broker took the subscriptions")
        return 0

    def stop(self) -> None:
        self.stopping.set()

    def reload_now(self) -> None:
        self._seen = snapshot(self.settings.rituals)
        self.library = reload(self.library, self.settings.rituals)
        if self.adapter is not None:
            self.adapter.replace_library(self.library)
        log.info("rituals reloaded: %d loaded", len(self.library.rituals))

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(RELOAD_SECONDS)
            if snapshot(self.settings.rituals) != self._seen:
                self.reload_now()
            # Schedules changed by `hearth schedule` in another process.
            if self.scheduler is not None and self.scheduler.reload_if_changed():
                log.info("schedules reloaded")

    def _install_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        handlers = {signal.SIGINT: self.stop, signal.SIGTERM: self.stop,
                    signal.SIGHUP: self.reload_now}
        for signum, handler in handlers.items():
            # Not possible outside the main thread (tests run services in threads too).
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, handler)


class _Deferred:
    """The adapter's transport before the real one exists (they need each other)."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def publish(self, message: hermes.Outgoing) -> None:
        if self.service.transport is not None:
            self.service.transport.publish(message)


def main(settings: Settings) -> int:
    setup_logging(settings.log_level)
    log.info("hearth %s starting (pid %d)", __version__, os.getpid())
    return asyncio.run(Service(settings).run())
