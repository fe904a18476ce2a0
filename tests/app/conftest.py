"""Fixtures for the app's tests: the app served on a free local port (over `artifacts_root`, tests/conftest.py)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from spyglass.app.main import build_app

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(cfg: dict, root: Path) -> Iterator[str]:
    """The app over the artifacts under `root`, served in this process on 127.0.0.1 (so tests can monkeypatch
    what it calls); yields its URL."""
    app = build_app(cfg, root)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, show_error=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


@pytest.fixture(scope="session")
def app_url(artifacts_root, small_cfg) -> Iterator[str]:
    """The app with every Refresh press fetching anew (tests fail fetches on purpose), not shared for a while."""
    with served({**small_cfg, "app": {**small_cfg["app"], "refresh_ttl_seconds": 0}}, artifacts_root) as url:
        yield url


@pytest.fixture
def sharing_app_url(artifacts_root, small_cfg) -> Iterator[str]:
    """The app as `make app` configures it: Refresh presses within a minute share one fetch."""
    with served(small_cfg, artifacts_root) as url:
        yield url


@pytest.fixture
def repo_before_first_run(tmp_path, small_cfg) -> Iterator[tuple[Path, str]]:
    """(an empty repo, the URL of the app over it): the test may write artifacts into it later."""
    with served(small_cfg, tmp_path) as url:
        yield tmp_path, url
