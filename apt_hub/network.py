"""Timeouts for every request huggingface_hub sends, so that a stalled Hub or mirror ends in an error, not a wait;
and how many upstream files are downloaded at once.

huggingface_hub's shared HTTP client has no timeout, and most of its API calls pass none: a server that accepts the
connection and never answers would hold `apt-hub publish` forever. `use_timeouts` gives the client a connect and a
read timeout, also for the calls that pass `timeout=None`; `APT_HUB_TIMEOUT` (seconds) sets the read timeout, and
caps the connect one.
"""

import os

from .errors import AptHubError

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
TIMEOUT_VARIABLE = "APT_HUB_TIMEOUT"
DOWNLOAD_WORKERS = 8  # huggingface_hub's own default for snapshot_download
WORKERS_VARIABLE = "APT_HUB_DOWNLOAD_WORKERS"


def download_workers() -> int:
    """How many files of a source are downloaded at once: 8, or `APT_HUB_DOWNLOAD_WORKERS` (1 for a mirror that
    allows one connection at a time).

    Raises:
        AptHubError: `APT_HUB_DOWNLOAD_WORKERS` is not a whole number of at least 1.
    """
    value = os.environ.get(WORKERS_VARIABLE)
    if value is None:
        return DOWNLOAD_WORKERS
    if not value.strip().isdigit() or int(value) < 1:
        raise AptHubError(f"{WORKERS_VARIABLE} must be a whole number of at least 1, got {value!r}")
    return int(value)


def timeouts() -> tuple[float, float]:
    """The connect and read timeouts in seconds: 10 and 60, or `APT_HUB_TIMEOUT` for the read one.

    Raises:
        AptHubError: `APT_HUB_TIMEOUT` is not a positive number.
    """
    value = os.environ.get(TIMEOUT_VARIABLE)
    if value is None:
        return CONNECT_TIMEOUT, READ_TIMEOUT
    try:
        read = float(value)
    except ValueError:
        read = 0.0
    if not read > 0 or read == float("inf"):
        raise AptHubError(f"{TIMEOUT_VARIABLE} must be a positive number of seconds, got {value!r}")
    return min(CONNECT_TIMEOUT, read), read


def use_timeouts() -> None:
    """Make huggingface_hub's shared client give up on a connection or an answer that takes too long.

    Calls that pass their own timeout (file downloads: `HF_HUB_DOWNLOAD_TIMEOUT`) keep it. The client is made anew
    only when the timeouts changed, so that its open connections are reused from one call to the next.
    """
    from huggingface_hub import get_session, set_client_factory

    connect, read = timeouts()
    current = get_session().timeout
    if (current.connect, current.read) != (connect, read):
        set_client_factory(_client_factory)


def _client_factory():
    from huggingface_hub.utils._http import default_client_factory

    client = default_client_factory()
    connect, read = timeouts()
    client.timeout = type(client.timeout)(read, connect=connect)
    # Most HfApi methods pass `timeout=None` explicitly, which would switch the client's default off: fill it in.
    client.event_hooks = {**client.event_hooks, "request": [*client.event_hooks["request"], _fill_timeout]}
    return client


def _fill_timeout(request) -> None:
    """Give a request sent with no timeout at all the connect and read timeouts."""
    limits = request.extensions.get("timeout") or {}
    if all(value is None for value in limits.values()):
        connect, read = timeouts()
        request.extensions["timeout"] = {"connect": connect, "read": read, "write": read, "pool": read}
