"""Every test runs with its own HF home and caches, no token, and no request that leaves the machine."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Read by huggingface_hub and datasets at import time, so set before any test module imports them.
for _name, _value in {
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_UPDATE_DOWNLOAD_COUNTS": "0",
    "HF_HUB_DISABLE_XET": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
}.items():
    os.environ[_name] = _value
os.environ.pop("HF_TOKEN", None)
os.environ.pop("HF_HUB_OFFLINE", None)

sys.path.insert(0, str(Path(__file__).parent))

# Property-based tests: a few hundred examples each in `make test`; `make fuzz` runs the "fuzz" profile with
# APT_FUZZ_EXAMPLES (default 20,000) examples per test. No example database: a failure prints its reproduction.
_FUZZ = {"deadline": None, "database": None, "print_blob": True, "suppress_health_check": list(HealthCheck)}
settings.register_profile("quick", max_examples=200, **_FUZZ)
settings.register_profile("fuzz", max_examples=int(os.environ.get("APT_FUZZ_EXAMPLES", "20000")), **_FUZZ)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

SHARED_UPSTREAM = Path(__file__).resolve().parents[1].parent / "shared" / "upstream"


@pytest.fixture(autouse=True)
def isolated_hf_home(tmp_path_factory, monkeypatch):
    """A fresh HF home, hub cache and datasets cache for each test; the real token file is never read."""
    from hub_server import isolate_hf_home

    return isolate_hf_home(tmp_path_factory.mktemp("hf_home"), monkeypatch)


@pytest.fixture(scope="session")
def samples_build(tmp_path_factory) -> Path:
    """Every config built from the bundled samples, once for the session; tests copy it before changing it."""
    from apt_hub.build import build

    out = tmp_path_factory.mktemp("samples_build") / "apt"
    build(upstream="samples", output_dir=out)
    return out


@pytest.fixture
def shared_upstream() -> Path:
    """The real upstream rows beside the checkout; the test is skipped where they are absent."""
    if not SHARED_UPSTREAM.is_dir():
        pytest.skip(f"{SHARED_UPSTREAM} is not here")
    return SHARED_UPSTREAM


TOKENS = {
    "hf_alice_write": "alice",
    "hf_alice_read": "alice",
    "hf_bob_write": "bob",
    "hf_alice_fine_read": "alice",
    "hf_alice_fine_own": "alice",
}
# Organizations and their members' roles, as whoami-v2 reports them (`orgs[].roleInOrg`).
ORGS = {"org": {"alice": "admin"}, "readers": {"alice": "read", "bob": "write"}}
# Fine-grained tokens: the `scoped` entries of whoami-v2's `auth.accessToken.fineGrained`.
FINE_GRAINED = {
    "hf_alice_fine_read": [
        {"entity": {"type": "user", "name": "alice"}, "permissions": ["repo.content.read"]},
        {"entity": {"type": "org", "name": "org"}, "permissions": ["repo.content.read"]},
    ],
    "hf_alice_fine_own": [
        {"entity": {"type": "user", "name": "alice"}, "permissions": ["repo.content.read", "repo.write"]},
        {"entity": {"type": "org", "name": "org"}, "permissions": ["repo.content.read"]},
    ],
}


@pytest.fixture(scope="session")
def hub_server():
    """One Hub-compatible server on 127.0.0.1 for the session; `hub` empties it for each test."""
    from hub_server import HubServer

    with HubServer(tokens=TOKENS, read_only_tokens={"hf_alice_read"}, orgs=ORGS, fine_grained=FINE_GRAINED) as server:
        yield server


@pytest.fixture
def hub(hub_server, isolated_hf_home, monkeypatch):
    """An empty Hub with huggingface_hub and datasets pointed at it, and a fresh HF home."""
    from hub_server import point_clients_at

    hub_server.reset()
    point_clients_at(hub_server.endpoint, monkeypatch)
    yield hub_server
    assert not hub_server.errors, hub_server.errors[0]
