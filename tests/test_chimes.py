"""Hearth's own chimes: real WAV files, the promised lengths, no clipping and no clicks."""

from __future__ import annotations

import io
import itertools
import math
import sys
import wave
from array import array
from dataclasses import dataclass

import pytest

from skill.chimes import (
    SAMPLE_RATE,
    VOICES,
    Partial,
    UnknownChimeError,
    Voice,
    chime_seconds,
    chime_wav,
)
from skill.errors import HearthError
from skill.ritual import CHIMES

EXPECTED_SECONDS = {"bell": 1.5, "soft": 1.2, "gong": 2.5}


@dataclass(frozen=True)
class Decoded:
    """What the stdlib's own WAV reader makes of a chime."""

    channels: int
    width: int
    rate: int
    frames: int
    compression: str
    data: array[int]


def decode(name: str) -> Decoded:
    with wave.open(io.BytesIO(chime_wav(name)), "rb") as reader:
        data = array("h", reader.readframes(reader.getnframes()))
        header = (reader.getnchannels(), reader.getsampwidth(), reader.getframerate(),
                  reader.getnframes(), reader.getcomptype())
    if sys.byteorder == "big":
        data.byteswap()
    return Decoded(*header, data)


def samples(name: str) -> array[int]:
    return decode(name).data


def test_every_chime_a_ritual_can_name_is_made() -> None:
    assert set(VOICES) == set(CHIMES)


@pytest.mark.parametrize("name", CHIMES)
def test_the_wav_header_reads_back(name: str) -> None:
    wav = decode(name)
    assert (wav.channels, wav.width, wav.rate) == (1, 2, 22050)
    assert wav.rate == SAMPLE_RATE
    assert wav.compression == "NONE"
    assert len(wav.data) == wav.frames > 0


@pytest.mark.parametrize("name", CHIMES)
def test_the_length_is_the_one_promised(name: str) -> None:
    wav = decode(name)
    assert wav.frames / wav.rate == chime_seconds(name)
    assert chime_seconds(name) == pytest.approx(EXPECTED_SECONDS[name], abs=1 / SAMPLE_RATE)


@pytest.mark.parametrize("name", CHIMES)
def test_the_peak_is_near_minus_six_dbfs_and_never_clips(name: str) -> None:
    data = samples(name)
    peak = max(abs(s) for s in data)
    assert peak < 32767
    assert 20 * math.log10(peak / 32767) == pytest.approx(-6.0, abs=0.5)


@pytest.mark.parametrize("name", CHIMES)
def test_it_starts_and_ends_near_silence(name: str) -> None:
    data = samples(name)
    millisecond = SAMPLE_RATE // 1000
    assert data[0] == 0
    assert max(abs(s) for s in data[:millisecond]) < 0.02 * 32767
    assert max(abs(s) for s in data[-5 * millisecond:]) < 0.001 * 32767
    assert data[-1] == 0


@pytest.mark.parametrize("name", CHIMES)
def test_it_fades_rather_than_stops(name: str) -> None:
    # The decays, not the final fade, should have made it quiet: compare the RMS of the
    # first tenth of a second with the one just before the fade-out begins.
    data = samples(name)
    tenth = SAMPLE_RATE // 10
    before_fade = len(data) - int(0.15 * SAMPLE_RATE)

    def rms(part: array[int]) -> float:
        return math.sqrt(sum(s * s for s in part) / len(part))

    assert rms(data[before_fade - tenth:before_fade]) < 0.1 * rms(data[:tenth])


def test_each_chime_sounds_different() -> None:
    for first, second in itertools.combinations(CHIMES, 2):
        assert chime_wav(first) != chime_wav(second), (first, second)


def test_chimes_are_made_once() -> None:
    assert chime_wav("bell") is chime_wav("bell")


def test_an_unknown_chime_names_itself_and_the_known_ones() -> None:
    with pytest.raises(
        UnknownChimeError,
        match=r"^no chime 'bel'\. Did you mean 'bell'\? Known chimes: bell, soft, gong$",
    ) as caught:
        chime_wav("bel")
    assert isinstance(caught.value, HearthError)
    assert caught.value.name == "bel"
    assert caught.value.known == ("bell", "soft", "gong")
    with pytest.raises(UnknownChimeError, match=r"^no chime 'trumpet'\. Known chimes: "):
        chime_seconds("trumpet")


def test_a_recipe_checks_itself() -> None:
    with pytest.raises(ValueError, match=r"below 11025 Hz"):
        Partial(12000.0, 0.5, 0.2)
    with pytest.raises(ValueError, match="at least one partial"):
        Voice(seconds=1.0, attack=0.01, partials=())
    with pytest.raises(ValueError, match="attack"):
        Voice(seconds=0.2, attack=0.1, partials=(Partial(440.0, 1.0, 0.1),))
