"""Order-free deterministic randomness: every draw is a hash of (seed, key, bucket, salt).

A simulated value at time t must not depend on which values were sampled before it (the
demo, the tests and the load generator sample in different orders), so models never consume
a shared RNG: they hash what identifies the draw instead.
"""

from __future__ import annotations

import math
import zlib

_MASK64 = (1 << 64) - 1
_TWO_POW_53 = float(1 << 53)


def stable_key(*parts: object) -> int:
    """Return a 64-bit key for names and numbers that is the same in every process."""
    # Python's str hash is salted per process; crc32 of the text is not.
    text = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return (zlib.crc32(text) << 32) | zlib.crc32(text[::-1])


def mix(key: int, bucket: int, salt: int = 0) -> int:
    """Return a well-mixed 64-bit integer for one draw (splitmix64 finaliser)."""
    z = (key ^ (bucket * 0x9E3779B97F4A7C15) ^ (salt * 0xD1B54A32D192ED03)) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def uniform(key: int, bucket: int, salt: int = 0) -> float:
    """Return a uniform draw in [0, 1) for one (key, bucket, salt)."""
    return (mix(key, bucket, salt) >> 11) / _TWO_POW_53


def gauss(key: int, bucket: int, salt: int = 0) -> float:
    """Return a standard normal draw for one (key, bucket, salt) (Box-Muller)."""
    u1 = uniform(key, bucket, salt * 2 + 1)
    u2 = uniform(key, bucket, salt * 2 + 2)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def local_hour(t_ms: int, utc_offset_s: int) -> float:
    """Return the hour of the local day (0 <= h < 24) at `t_ms` for a fixed UTC offset."""
    return ((t_ms / 1000.0 + utc_offset_s) % 86400.0) / 3600.0
