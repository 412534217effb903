"""The limits a province-sized simulation runs into, raised where we can and named where not.

Each simulated gateway holds one TCP connection, so one open file. The process's soft limit
(RLIMIT_NOFILE, often 1,024) is raised to the hard limit at start. Past that, or when the
broker turns connections away (Mosquitto's `max_connections`, or its own open-file limit),
a gateway cannot connect, and the simulation says so in one line naming the limit and how
many gateways it kept out, instead of leaving them silently disconnected.
"""

from __future__ import annotations

import errno
import resource
import socket
from collections import Counter

KEEP_FREE_FILES = 64  # descriptors the rest of the process (logs, the web app) may need


def open_file_limit() -> tuple[int, int]:
    """Return the process's (soft, hard) RLIMIT_NOFILE."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def raise_open_file_limit(needed: int) -> tuple[int, int]:
    """Raise the soft open-file limit to the hard one if `needed` files (+ a margin) exceed it.

    Return the (soft, hard) limits in force afterwards. A hard limit of "unlimited" is not
    taken literally (Linux refuses a soft limit above fs.nr_open): the soft limit then goes
    only as high as needed.
    """
    soft, hard = open_file_limit()
    want = needed + KEEP_FREE_FILES
    if soft != resource.RLIM_INFINITY and soft < want:
        target = want if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass  # not allowed here: the connection report names the limit that remains
    return open_file_limit()


def describe_connect_error(exc: BaseException, host: str, port: int, timeout_s: float) -> str:
    """Return why a TCP connection to the broker failed, naming the limit if one was hit."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer from {host}:{port} within {timeout_s:g} s"
    code = getattr(exc, "errno", None)
    if code == errno.EMFILE or "Too many open files" in str(exc):
        soft, hard = open_file_limit()
        return (
            f"the process's open-file limit (RLIMIT_NOFILE {_text(soft)}, hard {_text(hard)}; "
            "one per gateway): raise it (ulimit -n) or simulate fewer enterprises"
        )
    if code == errno.ENFILE:
        return "the system's open-file limit (fs.file-max)"
    if code == errno.EADDRNOTAVAIL:
        return "no free local TCP port (net.ipv4.ip_local_port_range)"
    if code == errno.ECONNREFUSED:
        return f"connection refused by {host}:{port} (is the broker running?)"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {host}: {exc}"
    return f"cannot connect to {host}:{port}: {exc}"


def closed_before_connack() -> str:
    """Return why a gateway whose connection the broker closed before CONNACK is not connected."""
    return (
        "the broker closed the connection before CONNACK (its max_connections, "
        "or its own open-file limit)"
    )


def refused(reason: object) -> str:
    """Return why a gateway the broker answered with a failing CONNACK is not connected."""
    return f"the broker refused the connection: {reason}"


def connection_report(problems: Counter[str], total: int, host: str, port: int) -> str:
    """Return one line: how many of `total` gateways are not connected, and why."""
    missing = sum(problems.values())
    if len(problems) == 1:
        reasons = next(iter(problems))
    else:
        reasons = "; ".join(f"{reason} ({count})" for reason, count in problems.most_common())
    return f"{missing} of {total} gateways could not connect to {host}:{port}: {reasons}"


def _text(limit: int) -> str:
    return "unlimited" if limit == resource.RLIM_INFINITY else f"{limit:,}"
