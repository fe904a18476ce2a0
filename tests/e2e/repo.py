"""Shared by the end-to-end tests: a fresh git+DVC copy of the project, and commands run in it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from clock import on_the_machines_clock
from spyglass.config import composed_yaml

# A small pipeline for the end-to-end runs on real data: few folds, trials and trees.
SMALL = ["cv.n_folds=3", "cv.min_train=252", "tuning.n_trials=2", "tuning.models=[elasticnet]",
         "model.xgboost.params.n_estimators=40", "model.lightgbm.params.n_estimators=40", "meta.n_folds=2",
         "meta.min_train=60", "meta.rolling_ic_window=63"]  # fmt: skip


def run(args: list[str], cwd: Path, check: bool = True, machine_clock: bool = False) -> subprocess.CompletedProcess:
    """Run a command in `cwd` with the project's interpreter first on PATH; raise with its output on failure.
    `machine_clock`: keep the machine's clock where the suite's is moved (tests/clock.py), for a client of a
    server that checks request times against its own."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DVC_NO_ANALYTICS": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(args, cwd=cwd, env=on_the_machines_clock(env) if machine_clock else env,
                          capture_output=True, text=True)  # fmt: skip
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def stages_run(output: str) -> list[str]:
    return re.findall(r"Running stage '([^']+)'", output)


def copy_repo(repo_root: Path, work: Path, overrides: list[str]) -> Path:
    """A fresh git+DVC copy of the project's files (as `git clone` would give) with params for `overrides`."""
    files = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], repo_root).stdout.split()
    for name in files:
        source = repo_root / name
        if source.is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, work / name)
    set_params(work, overrides)
    run(["git", "init", "-q"], work)
    run(["git", "add", "-A"], work)
    run(["git", "commit", "-qm", "copy"], work)
    return work


def set_params(work: Path, overrides: list[str]) -> None:
    """Recompose params.yaml with Hydra overrides (what `dvc exp run -S` does)."""
    (work / "params.yaml").write_text(composed_yaml(overrides, work / "conf"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    """Return once `process` (a server) listens on 127.0.0.1:`port`; fail if it exits or takes over 30 s."""
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not listen on port {port} within 30 s")


def refreshed_signal(repo: Path, *app_args: str) -> str:
    """The signal the app gives for one Refresh (gradio_client), served from `repo` as `make app` serves it."""
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "SPYGLASS_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    app = subprocess.Popen([sys.executable, "-m", "spyglass.app.main", *app_args], cwd=repo, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for_port(port, app, "the app")
        return Client(f"http://127.0.0.1:{port}/", verbose=False).predict(api_name="/refresh")[0]
    finally:
        app.terminate()
        app.wait(timeout=30)
