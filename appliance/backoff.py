"""The appliance's one retry rule: exponential backoff, capped, with "equal jitter" where many boxes retry together.

A leaf module: pollers (a device that stops answering), the headend link, the MQTT link and discovery's retry
timer all wait by it. The n-th failure in a row waits `base * 2**(n-1)`, never more than `cap`; a link that many
appliances share (the headend, a broker) waits half that fixed and half at random, so they do not return in step.
"""

from __future__ import annotations

#: Doublings stop here: 2**16 times any base is past every cap the appliance uses, and 2**huge is not computed.
MAX_DOUBLINGS = 16


def delay(failures: int, base: float, cap: float) -> float:
    """The wait after `failures` failures in a row: base, 2 x base, 4 x base ... at most `cap` (0 or 1: base)."""
    return min(cap, base * 2 ** min(max(0, failures - 1), MAX_DOUBLINGS))


def jittered(wait: float, unit: float) -> float:
    """Equal jitter: half of `wait` fixed, half scaled by `unit` (a random number in [0, 1))."""
    return wait / 2 + unit * wait / 2
