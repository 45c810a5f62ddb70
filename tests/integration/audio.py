#!/usr/bin/env python3
"""audio.py - which tone is in a recording (integration tests; stdlib only).

    audio.py tone FILE.wav EXPECTED_HZ OTHER_HZ [MIN_SECONDS]

Reads a 16-bit PCM WAV (any rate, channels averaged), cuts it into 100 ms
windows and, for each window that is not silent (RMS >= 1% of full scale),
measures with the Goertzel algorithm the share of the window's power at
EXPECTED_HZ and at OTHER_HZ (a pure tone at f gives a share of about 1 at
f and about 0 elsewhere). A window counts for EXPECTED_HZ when its share
there is >= 0.5 and at OTHER_HZ < 0.1. Prints one summary line; exits 0
when the windows that count add up to >= MIN_SECONDS (default 3), 1 when
not, 2 on a bad file.
"""
import math
import struct
import sys
import wave

WINDOW_S = 0.1
SILENCE_RMS = 0.01  # of full scale
SHARE_MIN = 0.5
OTHER_MAX = 0.1


def read_mono(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError("%s: %d-byte samples, want 16-bit PCM" % (path, w.getsampwidth()))
        rate, channels, n = w.getframerate(), w.getnchannels(), w.getnframes()
        raw = w.readframes(n)
    samples = struct.unpack("<%dh" % (len(raw) // 2), raw[: len(raw) // 2 * 2])
    if channels > 1:
        frames = len(samples) // channels
        samples = [sum(samples[i * channels:(i + 1) * channels]) / channels for i in range(frames)]
    return rate, [s / 32768.0 for s in samples]


def goertzel_power(x, rate, freq):
    """Mean power of the component of x at freq (amplitude A -> A*A/2)."""
    n = len(x)
    k = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for v in x:
        s0 = v + k * s1 - s2
        s2, s1 = s1, s0
    mag2 = s1 * s1 + s2 * s2 - k * s1 * s2
    return 2.0 * mag2 / (n * n)


def analyse(path, expected, other):
    rate, x = read_mono(path)
    win = max(1, int(rate * WINDOW_S))
    total = loud = good = 0
    share_sum = other_sum = 0.0
    for start in range(0, len(x) - win + 1, win):
        w = x[start:start + win]
        total += 1
        ms = sum(v * v for v in w) / win
        if math.sqrt(ms) < SILENCE_RMS:
            continue
        loud += 1
        share = goertzel_power(w, rate, expected) / ms
        oshare = goertzel_power(w, rate, other) / ms
        share_sum += share
        other_sum += oshare
        if share >= SHARE_MIN and oshare < OTHER_MAX:
            good += 1
    return {
        "rate": rate,
        "seconds": len(x) / rate if rate else 0.0,
        "windows": total,
        "loud": loud,
        "good_seconds": good * win / rate if rate else 0.0,
        "share": share_sum / loud if loud else 0.0,
        "other_share": other_sum / loud if loud else 0.0,
    }


def main(argv):
    if len(argv) < 5 or argv[1] != "tone":
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, expected, other = argv[2], float(argv[3]), float(argv[4])
    need = float(argv[5]) if len(argv) > 5 else 3.0
    try:
        r = analyse(path, expected, other)
    except (OSError, EOFError, ValueError, wave.Error) as e:
        print("audio.py: %s" % e, file=sys.stderr)
        return 2
    print("%.1f s at %d Hz, %d of %d windows loud, %.1f s with %g Hz dominant "
          "(mean share %.2f at %g Hz, %.2f at %g Hz)"
          % (r["seconds"], r["rate"], r["loud"], r["windows"], r["good_seconds"], expected,
             r["share"], expected, r["other_share"], other))
    return 0 if r["good_seconds"] >= need else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
