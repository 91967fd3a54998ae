"""The peer: the smallest rhasspy-hermes-app 1.1.2 skill that answers Hearth's intent.

Run by the benchmark with the Python of ``bench/.venv-peer`` (rhasspy-hermes-app 1.1.2 with
dataclasses-json 0.5.7 forced, see bench/peer.py):
``python bench/peer_skill.py --host 127.0.0.1 --port N``. It answers ``HearthTimeLeft`` by
ending the intent's session with a line, as a skill written with that library would. It
prints "peer: serving" once its subscriptions are acknowledged, for the start-up figure.
"""

import sys

from rhasspyhermes.nlu import NluIntent
from rhasspyhermes_app import EndSession, HermesApp

app = HermesApp("BenchPeer")


@app.on_intent("HearthTimeLeft")
async def time_left(intent: NluIntent) -> EndSession:
    return EndSession("There's no ritual running right now.")


_on_subscribe = app.mqtt_client.on_subscribe


def _subscribed(*args: object) -> None:
    print("peer: serving", file=sys.stderr, flush=True)
    if _on_subscribe is not None:
        _on_subscribe(*args)


app.mqtt_client.on_subscribe = _subscribed
app.run()
