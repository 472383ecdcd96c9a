"""Writes src/comptoir/web/static/ring.wav: the counter board's ring (two soft tones, then a pause; the
board loops it until someone taps "Seen"). Our own sound, so there is no licence to carry."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 16_000
OUT = Path(__file__).resolve().parent.parent / "src/comptoir/web/static/ring.wav"


def tone(frequency: float, seconds: float) -> list[float]:
    count = int(RATE * seconds)
    fade = int(RATE * 0.02)
    samples = []
    for i in range(count):
        envelope = min(1.0, i / fade, (count - i) / fade) * math.exp(-2.5 * i / count)
        samples.append(envelope * math.sin(2 * math.pi * frequency * i / RATE))
    return samples


def main() -> None:
    sound = tone(880.0, 0.25) + tone(1318.5, 0.35) + [0.0] * int(RATE * 0.6)
    with wave.open(str(OUT), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", int(s * 0.6 * 32767)) for s in sound))


if __name__ == "__main__":
    main()
