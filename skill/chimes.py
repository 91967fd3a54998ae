"""Hearth's chimes, made here as WAV bytes: nothing is downloaded and nothing needs a licence.

A chime is a few sine partials, each fading on its own exponential curve; high partials fade
fastest, as they do on real bells, so the sound mellows as it rings. A raised-cosine attack
and fade-out keep the first and last samples at zero, because a waveform that starts or stops
mid-swing is heard as a click. Every chime is normalised to the same peak so that a ritual's
chimes sit at one loudness, well below the speaker's spoken lines.

The format (16-bit mono, 22 050 Hz) is what Rhasspy's audio output plays without resampling
trouble and keeps a chime under 120 kB for ``hermes/audioServer/<siteId>/playBytes``.
"""

from __future__ import annotations

import functools
import io
import math
import sys
import wave
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from skill.errors import HearthError, did_you_mean
from skill.ritual import CHIMES

SAMPLE_RATE = 22050
SAMPLE_WIDTH = 2
CHANNELS = 1
PEAK_DBFS = -6.0
"""Loud enough to notice across a room, with headroom for any speaker's own processing."""
FADE_OUT = 0.15
"""Seconds of raised-cosine fade at the end; the decays have done most of the work by then."""

_FULL_SCALE = 32767


class UnknownChimeError(HearthError):
    """A chime name Hearth cannot make."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        suggestion = did_you_mean(name, self.known)
        hint = f" Did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(f"no chime {name!r}.{hint} Known chimes: {', '.join(self.known)}")


@dataclass(frozen=True, slots=True)
class Partial:
    """One sine component: its pitch, its share of the sound and how fast it fades."""

    frequency: float
    """Hertz; below the Nyquist limit, or it would fold back as a harsh alias."""
    amplitude: float
    decay: float
    """Seconds for this partial to fall to 1/e (about -8.7 dB) of where it started."""

    def __post_init__(self) -> None:
        if not 20.0 <= self.frequency < SAMPLE_RATE / 2:
            raise ValueError(
                f"a partial's frequency must be from 20 Hz to below {SAMPLE_RATE / 2:g} Hz, "
                f"not {self.frequency!r}"
            )
        if not 0.0 < self.amplitude <= 1.0:
            raise ValueError(f"a partial's amplitude must be in (0, 1], not {self.amplitude!r}")
        if self.decay <= 0.0:
            raise ValueError(f"a partial's decay must be positive, not {self.decay!r}")


@dataclass(frozen=True, slots=True)
class Voice:
    """The recipe for one chime."""

    seconds: float
    attack: float
    """Seconds of raised-cosine rise; a few milliseconds strike, tens of milliseconds bloom."""
    partials: tuple[Partial, ...]

    def __post_init__(self) -> None:
        if not self.partials:
            raise ValueError("a chime needs at least one partial")
        if not 0.0 < self.attack < self.seconds - FADE_OUT:
            raise ValueError(
                f"a chime's attack ({self.attack!r} s) must be positive and end before "
                f"its fade-out (the last {FADE_OUT} s of {self.seconds!r} s)"
            )


def _bell(fundamental: float) -> tuple[Partial, ...]:
    # Ratios of a struck bar-like bell: the inharmonic 2.76 and 5.40 make it a bell rather
    # than an organ note; the hum an octave below gives it warmth on small speakers.
    return (
        Partial(fundamental * 0.5, 0.25, 0.50),
        Partial(fundamental, 1.0, 0.45),
        Partial(fundamental * 2.0, 0.45, 0.30),
        Partial(fundamental * 2.76, 0.30, 0.20),
        Partial(fundamental * 5.40, 0.12, 0.10),
        Partial(fundamental * 8.93, 0.05, 0.06),
    )


def _soft(fundamental: float) -> tuple[Partial, ...]:
    # Nearly pure, with a partner detuned by 3 Hz: the slow beat reads as gentle, not thin.
    return (
        Partial(fundamental, 1.0, 0.35),
        Partial(fundamental + 3.0, 0.35, 0.35),
        Partial(fundamental * 2.0, 0.15, 0.20),
        Partial(fundamental * 3.0, 0.05, 0.12),
    )


def _gong(fundamental: float) -> tuple[Partial, ...]:
    # A plate's modes are far from harmonic; two close pairs give the gong's shimmer.
    return (
        Partial(fundamental, 1.0, 0.75),
        Partial(fundamental * 1.012, 0.6, 0.70),
        Partial(fundamental * 1.47, 0.55, 0.55),
        Partial(fundamental * 2.09, 0.40, 0.45),
        Partial(fundamental * 2.56, 0.30, 0.35),
        Partial(fundamental * 2.59, 0.20, 0.35),
        Partial(fundamental * 3.18, 0.15, 0.25),
        Partial(fundamental * 4.20, 0.08, 0.18),
    )


VOICES: dict[str, Voice] = {
    # E5: bright enough to cut through a conversation, low enough not to startle.
    "bell": Voice(seconds=1.5, attack=0.008, partials=_bell(659.26)),
    # C5 with a slow bloom, for the moments that should feel like an exhale.
    "soft": Voice(seconds=1.2, attack=0.04, partials=_soft(523.25)),
    # C3 carries the body; its partials reach up where a small speaker can play them.
    "gong": Voice(seconds=2.5, attack=0.02, partials=_gong(130.81)),
}


def _voice(name: str) -> Voice:
    voice = VOICES.get(name)
    if voice is None or name not in CHIMES:
        raise UnknownChimeError(name, CHIMES)
    return voice


def chime_seconds(name: str) -> float:
    """How long the chime ``name`` lasts, exactly as many frames as its WAV holds."""
    return _frames(_voice(name)) / SAMPLE_RATE


@functools.cache
def chime_wav(name: str) -> bytes:
    """The chime ``name`` as a complete WAV file (16-bit mono, 22 050 Hz)."""
    samples = _render(_voice(name))
    if sys.byteorder == "big":  # WAV data is little-endian whatever the machine is
        samples.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(CHANNELS)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def _frames(voice: Voice) -> int:
    return round(voice.seconds * SAMPLE_RATE)


def _render(voice: Voice) -> array[int]:
    count = _frames(voice)
    mix = [0.0] * count
    for partial in voice.partials:
        step = 2.0 * math.pi * partial.frequency / SAMPLE_RATE
        # Multiplying by a constant each sample is the exponential decay without calling exp().
        fall = math.exp(-1.0 / (partial.decay * SAMPLE_RATE))
        level = partial.amplitude
        for i in range(count):
            mix[i] += level * math.sin(step * i)
            level *= fall
    _shape(mix, round(voice.attack * SAMPLE_RATE), round(FADE_OUT * SAMPLE_RATE))
    peak = max(abs(x) for x in mix)
    scale = _FULL_SCALE * 10.0 ** (PEAK_DBFS / 20.0) / peak
    return array("h", (round(x * scale) for x in mix))


def _shape(mix: list[float], attack: int, fade: int) -> None:
    """Raised-cosine edges: the slope is zero where they meet silence, so nothing clicks."""
    for i in range(attack):
        mix[i] *= 0.5 - 0.5 * math.cos(math.pi * i / attack)
    last = len(mix) - 1
    for j in range(fade):
        mix[last - j] *= 0.5 - 0.5 * math.cos(math.pi * j / fade)
