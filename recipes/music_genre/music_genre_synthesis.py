"""A deterministic generator of music-like tracks in seven genres.

Genres differ the way real ones do: in tempo, drum pattern (or no drums),
swing against straight time, how the harmony is voiced and played (sustained
triads, comped seventh chords, distorted power chords, off-beat skanks) and
in the bass line. Key, tempo, the sounds of the instruments, the drum kit's
tuning, the mix, an equalizer tilt and background noise are drawn per track
from pools shared by all genres, so the average spectrum of a clip says
little about its genre: the rhythm and the harmony over time do.
"""

import concurrent.futures
import dataclasses
import os

import numpy as np

GENRES = ("classical", "jazz", "rock", "metal", "disco", "hiphop", "reggae")

# Drum patterns on a 16-step grid (one bar of 4/4), 1 = hit.
_ROCK_KICK = (0, 8, 10)
_FOUR_ON_FLOOR = (0, 4, 8, 12)
_BACKBEAT = (4, 12)


@dataclasses.dataclass(frozen=True)
class GenreStyle:
    """How a genre is played.

    Args:
        tempo: range of beats per minute.
        swing: range of the swing ratio (0.5 = straight eighths).
        kick / snare / hat: the drum pattern, as 16th steps of a bar;
            `None` means no drum kit at all.
        hat_open: the hat rings (open hi-hat or ride) instead of a short tick.
        chord_steps: 16th steps where the chord instrument plays.
        chord_length: note length in 16ths (sustain).
        chord_kind: `"triad"`, `"seventh"` or `"power"`.
        distortion: drive of the chord instrument's saturation.
        bass_steps: 16th steps of the bass notes.
        bass_walk: the bass walks the scale instead of holding the root.
    """

    tempo: tuple
    swing: tuple
    kick: tuple | None
    snare: tuple | None
    hat: tuple | None
    hat_open: bool
    chord_steps: tuple
    chord_length: int
    chord_kind: str
    distortion: float
    bass_steps: tuple
    bass_walk: bool


STYLES = {
    "classical": GenreStyle(
        tempo=(60, 92), swing=(0.5, 0.5), kick=None, snare=None, hat=None, hat_open=False,
        chord_steps=(0, 8), chord_length=8, chord_kind="triad", distortion=0.0,
        bass_steps=(0,), bass_walk=False,
    ),
    "jazz": GenreStyle(
        tempo=(120, 190), swing=(0.62, 0.68), kick=(), snare=(), hat=(0, 4, 6, 8, 12, 14),
        hat_open=True, chord_steps=(2, 7, 11), chord_length=2, chord_kind="seventh",
        distortion=0.0, bass_steps=(0, 4, 8, 12), bass_walk=True,
    ),
    "rock": GenreStyle(
        tempo=(100, 140), swing=(0.5, 0.5), kick=_ROCK_KICK, snare=_BACKBEAT,
        hat=(0, 2, 4, 6, 8, 10, 12, 14), hat_open=False, chord_steps=(0, 2, 4, 6, 8, 10, 12, 14),
        chord_length=2, chord_kind="power", distortion=4.0, bass_steps=(0, 2, 4, 6, 8, 10, 12, 14),
        bass_walk=False,
    ),
    "metal": GenreStyle(
        tempo=(150, 200), swing=(0.5, 0.5), kick=tuple(range(16)), snare=_BACKBEAT,
        hat=(0, 4, 8, 12), hat_open=True, chord_steps=tuple(range(16)), chord_length=1,
        chord_kind="power", distortion=12.0, bass_steps=tuple(range(0, 16, 2)), bass_walk=False,
    ),
    "disco": GenreStyle(
        tempo=(116, 130), swing=(0.5, 0.5), kick=_FOUR_ON_FLOOR, snare=_BACKBEAT,
        hat=(2, 6, 10, 14), hat_open=True, chord_steps=(2, 6, 10, 14), chord_length=1,
        chord_kind="seventh", distortion=0.5, bass_steps=(0, 2, 4, 6, 8, 10, 12, 14),
        bass_walk=False,
    ),
    "hiphop": GenreStyle(
        tempo=(80, 100), swing=(0.56, 0.62), kick=(0, 3, 7, 10), snare=_BACKBEAT,
        hat=tuple(range(0, 16, 2)), hat_open=False, chord_steps=(0,), chord_length=16,
        chord_kind="seventh", distortion=0.0, bass_steps=(0, 7, 10), bass_walk=False,
    ),
    "reggae": GenreStyle(
        tempo=(66, 90), swing=(0.5, 0.56), kick=(8,), snare=(8,), hat=(2, 6, 10, 14),
        hat_open=False, chord_steps=(2, 6, 10, 14), chord_length=1, chord_kind="triad",
        distortion=0.0, bass_steps=(0, 3, 6, 10), bass_walk=True,
    ),
}  # fmt: skip

_CHORDS = {"triad": (0, 4, 7), "seventh": (0, 4, 7, 10), "power": (0, 7, 12)}
_MINOR = {"triad": (0, 3, 7), "seventh": (0, 3, 7, 10), "power": (0, 7, 12)}
_PROGRESSIONS = ((0, 5, 7, 0), (0, 9, 5, 7), (2, 7, 0, 0), (0, 7, 9, 5), (9, 5, 0, 7))
_SCALE = (0, 2, 4, 5, 7, 9, 11)
_TABLE = 2048


def midi_hz(note):
    return 440.0 * 2.0 ** ((np.asarray(note, "float64") - 69) / 12)


class TrackSynth:
    """Renders one track: a random instrumentation of one genre's style."""

    def __init__(self, rng, sample_rate, seconds):
        self.rng = rng
        self.rate = sample_rate
        self.length = int(seconds * sample_rate)

    # Sounds.

    def _time(self, seconds):
        return np.arange(int(seconds * self.rate)) / self.rate

    def tone(self, frequency, seconds, timbre):
        """A harmonic tone; `timbre` sets harmonics, attack and decay."""
        t = self._time(seconds)
        harmonics = np.arange(1, timbre["harmonics"] + 1)
        harmonics = harmonics[harmonics * frequency < self.rate * 0.45]
        weights = harmonics ** -timbre["rolloff"]
        # One period as a wavetable, read at the note's (slightly wavering) phase.
        period = np.linspace(0, 2 * np.pi, _TABLE, endpoint=False)
        table = weights @ np.sin(np.outer(harmonics, period)) / weights.sum()
        cycles = frequency * t + timbre["detune"] * np.sin(3.1 * t) / (2 * np.pi)
        wave = table[(cycles % 1.0 * _TABLE).astype(int)]
        attack = np.minimum(1.0, t / timbre["attack"])
        envelope = attack * np.exp(-t / timbre["decay"])
        release = np.minimum(1.0, (t[-1] - t) / 0.02 + 1e-9)
        return wave * envelope * release

    def kick(self, pitch):
        t = self._time(0.35)
        sweep = pitch * (1 + 2.5 * np.exp(-t / 0.03))
        return np.sin(2 * np.pi * np.cumsum(sweep) / self.rate) * np.exp(-t / 0.09)

    def snare(self, pitch):
        t = self._time(0.25)
        noise = self.rng.normal(0, 1, len(t))
        body = np.sin(2 * np.pi * pitch * t)
        return (0.7 * noise + 0.5 * body) * np.exp(-t / 0.05)

    def hat(self, ring):
        t = self._time(0.4 if ring else 0.06)
        noise = np.diff(self.rng.normal(0, 1, len(t) + 1))  # a crude high-pass
        metal = sum(np.sin(2 * np.pi * f * t) for f in (3140, 4350, 5520, 6710))
        return 0.35 * (noise + 0.4 * metal) * np.exp(-t / (0.15 if ring else 0.015))

    def random_timbre(self, sustain):
        rng = self.rng
        return {
            "harmonics": int(rng.integers(3, 12)),
            "rolloff": rng.uniform(0.6, 2.2),
            "detune": rng.uniform(0, 0.4),
            "attack": rng.uniform(0.08, 0.3) if sustain else rng.uniform(0.002, 0.02),
            "decay": rng.uniform(1.0, 3.0) if sustain else rng.uniform(0.15, 0.6),
        }

    # Arrangement.

    def render(self, style):
        rng = self.rng
        tempo = rng.uniform(*style.tempo)
        swing = rng.uniform(*style.swing)
        step = 60.0 / tempo / 4  # a 16th note, in seconds
        root = int(rng.integers(45, 57))
        minor = bool(rng.random() < 0.5)
        chord_shape = (_MINOR if minor else _CHORDS)[style.chord_kind]
        progression = _PROGRESSIONS[rng.integers(len(_PROGRESSIONS))]
        # The instruments' sounds come from pools shared by all genres.
        sustained = style.chord_length >= 8 or rng.random() < 0.3
        chord_timbre = self.random_timbre(sustained)
        bass_timbre = self.random_timbre(sustain=False)
        drum_tuning = rng.uniform(0.75, 1.35)
        offset = rng.uniform(0, 16 * step)  # the track starts anywhere in a bar

        def onsets(steps):
            """Times of `steps` (16ths of a bar), swung, over the whole track."""
            bars = int((self.length / self.rate + offset) / (16 * step)) + 1
            times = []
            for bar in range(bars):
                for s in steps:
                    beat, sub = divmod(s, 4)
                    shift = (swing - 0.5) * 4 * step if sub == 2 else 0.0
                    times.append(((bar * 16 + beat * 4 + sub) * step + shift - offset, bar))
            return [(time, bar) for time, bar in times if -0.5 < time < self.length / self.rate]

        mix = np.zeros(self.length + self.rate)
        gains = rng.uniform(0.5, 1.0, 5)
        if style.kick is not None:
            sounds = (
                (style.kick, self.kick(55 * drum_tuning), gains[0]),
                (style.snare, self.snare(190 * drum_tuning), gains[1]),
                (style.hat, self.hat(style.hat_open), 0.6 * gains[2]),
            )
            for steps, sound, gain in sounds:
                for time, _ in onsets(steps):
                    velocity = gain * rng.uniform(0.7, 1.0)
                    self._add(mix, sound * velocity, time)
        cache = {}
        for time, bar in onsets(style.chord_steps):
            chord_root = root + 12 + progression[bar % len(progression)]
            key = ("chord", chord_root)
            if key not in cache:
                seconds = style.chord_length * step + 0.1
                notes = [
                    self.tone(midi_hz(chord_root + i), seconds, chord_timbre) for i in chord_shape
                ]
                chord = np.sum(notes, axis=0) / len(notes)
                if style.distortion:
                    chord = np.tanh(style.distortion * chord) / np.tanh(style.distortion)
                cache[key] = chord
            self._add(mix, 0.8 * gains[3] * cache[key], time)
        for index, (time, bar) in enumerate(onsets(style.bass_steps)):
            note = root - 12 + progression[bar % len(progression)]
            if style.bass_walk:
                note += _SCALE[index % 4 * 2 % len(_SCALE)]
            key = ("bass", note)
            if key not in cache:
                seconds = max(len(style.bass_steps) and 16 / len(style.bass_steps), 1) * step
                cache[key] = self.tone(midi_hz(note), seconds + 0.05, bass_timbre)
            self._add(mix, gains[4] * cache[key], time)
        mix = mix[: self.length]
        return self._master(mix)

    def _add(self, mix, sound, time):
        start = int(round(time * self.rate))
        if start < 0:
            sound, start = sound[-start:], 0
        end = min(start + len(sound), len(mix))
        if end > start:
            mix[start:end] += sound[: end - start]

    def _master(self, mix):
        """Equalizer tilt, background noise and loudness, drawn per track."""
        rng = self.rng
        spectrum = np.fft.rfft(mix)
        frequencies = np.fft.rfftfreq(len(mix), 1 / self.rate)
        tilt = rng.uniform(-6, 6)  # dB per octave around 1 kHz
        spectrum *= 10 ** (tilt * np.log2(np.maximum(frequencies, 20) / 1000) / 20)
        mix = np.fft.irfft(spectrum, len(mix))
        mix /= np.max(np.abs(mix)) + 1e-9
        colour = rng.uniform(0, 1)  # 0 = white noise, 1 = brown-ish
        noise = rng.normal(0, 1, len(mix))
        noise = (1 - colour) * noise + colour * np.cumsum(noise) / np.sqrt(self.rate)
        noise /= np.std(noise) + 1e-9
        mix += 10 ** (-rng.uniform(12, 30) / 20) * noise
        return (rng.uniform(0.2, 0.9) * mix / (np.max(np.abs(mix)) + 1e-9)).astype("float32")


def make_tracks(tracks_per_genre, sample_rate, seconds, seed):
    """Generates a balanced set of tracks.

    Args:
        tracks_per_genre: how many tracks of each genre.
        sample_rate: samples per second.
        seconds: length of each track.
        seed: the same seed gives the same tracks.

    Returns:
        `(waveforms, labels)`: float32 `(n, seconds * sample_rate)` mono
        tracks in [-1, 1] and int32 genre indices into `GENRES`.
    """
    jobs = [(index, label) for index in range(tracks_per_genre) for label in range(len(GENRES))]

    def render(job):
        index, label = job
        rng = np.random.default_rng([seed, index, label])  # one generator per track
        return TrackSynth(rng, sample_rate, seconds).render(STYLES[GENRES[label]])

    # NumPy releases the GIL in its array loops, so threads share the work.
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        waveforms = list(pool.map(render, jobs))
    return np.stack(waveforms), np.array([label for _, label in jobs], "int32")
