"""App benchmark on the repo's own artifacts (`make run` first): the app served in a new process, as `make app`
serves it, then
- in headless Chromium (Debian's, driven by Playwright) at 1366x768: navigation to the first drawn chart, and a
  snapshot switch (typing a date) to its charts redrawn, with the requests each pick sends;
- with gradio_client: `clients` concurrent sessions each pressing Refresh `refreshes` times, for `rounds` rounds:
  latency p50/p95 per round and the server's resident memory after each round.
Baseline for the latencies: one Refresh alone on the idle server (the first press, which fetches and scores, and
a later one, which shares its result), measured in the same run.

    python benchmarks/bench_app.py [--out benchmarks/results/app.json] [--clients 20] [--refreshes 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from timing import write_report

CHROMIUM = Path(os.environ.get("SPYGLASS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
LAPTOP = {"width": 1366, "height": 768}
# When the page first showed the signal's numbers and a drawn chart, in ms from navigation start (the page's own
# clock: the driver's round trips are not the user's wait).
FIRST_SEEN_JS = """
window.spyglassSeen = {};
new MutationObserver((changes, observer) => {
  const seen = window.spyglassSeen, now = performance.now();
  if (!seen.numbers && document.querySelector('#signal')?.innerText.includes('%')) seen.numbers = now;
  if (!seen.chart && document.querySelector('.js-plotly-plot .main-svg')) seen.chart = now;
  if (seen.numbers && seen.chart) observer.disconnect();
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served_app() -> tuple[str, int]:
    """`python -m spyglass.app.main` on a free port, as `make app` runs it (MALLOC_ARENA_MAX=2); yields (url, pid)
    once it answers."""
    port = free_port()
    env = {"MALLOC_ARENA_MAX": "2", **os.environ, "SPYGLASS_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    process = subprocess.Popen([sys.executable, "-m", "spyglass.app.main"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("the app did not start within 60 s")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (MB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def browser_timings(url: str, repeats: int = 3) -> dict:
    """Navigation to the signal's numbers and to the first chart drawn, and a snapshot switch, best of `repeats`
    fresh pages each."""
    from playwright.sync_api import sync_playwright

    from spyglass.app.main import snapshot_choices
    from spyglass.config import load_config, to_plain

    snapshots = snapshot_choices(Path(to_plain(load_config())["paths"]["options_store"]))  # newest first

    first_numbers, first_chart, switch, requests_per_pick = [], [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(repeats):
            context = browser.new_context(viewport=LAPTOP)  # a first visit: nothing cached
            page = context.new_page()
            page.add_init_script(FIRST_SEEN_JS)
            page.goto(url)
            page.wait_for_function("window.spyglassSeen.chart && window.spyglassSeen.numbers", timeout=60_000)
            seen = page.evaluate("window.spyglassSeen")
            first_numbers.append(seen["numbers"] / 1000)
            first_chart.append(seen["chart"] / 1000)
            page.get_by_role("tab", name="Options").click()
            page.wait_for_selector("#gex .js-plotly-plot", timeout=60_000)
            page.wait_for_function("document.querySelector('#options-status').innerText.startsWith('Snapshot')")
            page.wait_for_timeout(2000)  # the tab's other charts drawn: the switch alone is timed
            other = snapshots[20 + len(switch)]  # a stored snapshot a month earlier, as a trader would pick
            joins: list[str] = []

            def count_join(request, joins: list[str] = joins) -> None:
                if "queue/join" in request.url:
                    joins.append(request.url)

            page.on("request", count_join)
            box = page.locator("#snapshot input")
            box.fill(other)
            start = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(
                f"document.querySelector('#options-status').innerText.startsWith('Snapshot {other}:')",
                timeout=60_000,
            )
            switch.append(time.perf_counter() - start)
            page.wait_for_timeout(500)  # any second request would be on its way by now
            requests_per_pick.append(len(joins))
            context.close()
        browser.close()
    return {
        "measured_from": "navigation start (the page's own clock), first visits in fresh browser contexts",
        "first_numbers_seconds": round(min(first_numbers), 2),
        "first_chart_seconds": round(min(first_chart), 2),
        "first_chart_median_seconds": round(float(np.median(first_chart)), 2),
        "first_chart_target_seconds": 2.5,
        "snapshot_switch_seconds": round(min(switch), 2),
        "snapshot_switch_target_seconds": 1.0,
        "requests_per_pick": max(requests_per_pick),
    }


def load_test(url: str, pid: int, clients: int, refreshes: int, rounds: int) -> dict:
    """`clients` concurrent gradio_client sessions pressing Refresh `refreshes` times each, `rounds` times."""
    from gradio_client import Client

    def timed_refresh(client: Client) -> float:
        start = time.perf_counter()
        client.predict(api_name="/refresh")
        return time.perf_counter() - start

    fetching = timed_refresh(Client(url, verbose=False))  # the first press fetches and scores
    shared = min(timed_refresh(Client(url, verbose=False)) for _ in range(3))  # later presses reuse it
    sessions = [Client(url, verbose=False) for _ in range(clients)]
    rss_start = rss_mb(pid)
    per_round = []
    for _ in range(rounds):
        with ThreadPoolExecutor(clients) as pool:
            latencies = list(pool.map(lambda c: [timed_refresh(c) for _ in range(refreshes)], sessions))
        flat = np.concatenate(latencies)
        per_round.append({"p50_seconds": round(float(np.percentile(flat, 50)), 2),
                          "p95_seconds": round(float(np.percentile(flat, 95)), 2),
                          "rss_mb_after": round(rss_mb(pid))})  # fmt: skip
    return {
        "clients": clients,
        "refreshes_per_client": refreshes,
        "refresh_fetching_seconds": round(fetching, 2),
        "refresh_shared_seconds": round(shared, 2),
        "baseline": "one Refresh alone on the idle server: the first (fetching) press and a later (shared) one",
        "rss_mb_before": round(rss_start),
        "rounds": per_round,
        "p95_target_seconds": 5.0,
        "rss_target_mb": 1200,
        "p95_ratio_to_fetching_alone": round(max(r["p95_seconds"] for r in per_round) / fetching, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results/app.json")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--refreshes", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not Path("data/models/meta.joblib").exists():
        raise SystemExit("no saved models: run `make run` first")
    with served_app() as (url, pid):
        report = {"rss_mb_idle": round(rss_mb(pid))}
        if CHROMIUM.exists():
            report |= browser_timings(url)
        else:
            report["browser"] = f"skipped: no Chromium at {CHROMIUM}"
        report |= {"load": load_test(url, pid, args.clients, args.refreshes, args.rounds)}
    write_report(report, args.out)


if __name__ == "__main__":
    main()
