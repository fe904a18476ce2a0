"""The app end to end in headless Chromium (Debian's `chromium`, driven by Playwright's Python client).

The app is served in this process over artifacts of a small synthetic pipeline run; the browser loads the page at
a laptop's size, switches tabs, clicks refresh (offline: the synthetic source) and reads what was rendered.
Screenshots go to $SPYGLASS_SCREENSHOTS when set (else the test's tmp dir). `.ci/run` installs Chromium and sets
SPYGLASS_REQUIRE_BROWSER=1 so that a missing browser fails there instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("SPYGLASS_CHROMIUM", "/usr/bin/chromium"))
# No background networking: this machine's closed network refuses Chromium's calls home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
LAPTOP = {"width": 1366, "height": 768}
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"Debian's chromium is not at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("SPYGLASS_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def opened(browser, url: str) -> Iterator:
    """A page at a laptop's size with `url` loaded; fails the test if the page threw a JavaScript error."""
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector("#signal")
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser, app_url) -> Iterator:
    with opened(browser, app_url) as page:
        page.wait_for_selector("#allocation .js-plotly-plot")
        yield page


@pytest.fixture
def screenshot(tmp_path):
    folder = Path(os.environ.get("SPYGLASS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=folder / f"{name}.png", full_page=True)

    return take


def traces(page, plot_id: str) -> int:
    """How many data traces plotly drew in the plot with this elem_id."""
    return page.locator(f"#{plot_id} .js-plotly-plot .trace").count()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def assert_readable(page) -> None:
    """Nothing on the page is wider than the window, and no error or traceback is shown."""
    width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body


def test_signal_tab_shows_the_latest_signal_and_scores_offline(page, screenshot):
    signal = page.locator("#signal")
    assert "2014-12-31: allocation" in signal.inner_text()
    models = r"models: elasticnet [0-9a-f]{10}, lightgbm [0-9a-f]{10}, ridge [0-9a-f]{10}, xgboost [0-9a-f]{10};"
    assert re.search(models, signal.inner_text())
    assert traces(page, "allocation") == 2  # allocation and price
    page.click("#refresh")
    page.wait_for_function("document.querySelector('#status').innerText.includes('Scored 2014-12-31')")
    assert "live scoring, data=synthetic" in signal.inner_text()
    assert re.search(models, signal.inner_text())  # the models that scored are still named
    page.wait_for_function("document.querySelectorAll('#allocation .js-plotly-plot .trace').length === 3")
    assert_readable(page)
    screenshot(page, "signal")


def test_why_todays_allocation_shows_record_and_rescore_and_the_top_contributors(page):
    why = page.inner_text("#why")
    assert "Why the position is" in why and "walk-forward record" in why and "re-score with the final models" in why
    for step in ("volatility estimate", "raw position", "clipped to [0, 2]", "the position", "change since"):
        assert step in why, step
    page.wait_for_selector("#contributions .js-plotly-plot")
    labels = page.locator("#contributions .ytick text").all_text_contents()
    assert 1 <= len(labels) <= 12 and not any("_" in label for label in labels)  # readable names, not columns
    assert "What moved the prediction on 2014-12-31" in page.inner_text("#contributions")


def test_the_first_screen_says_where_the_data_comes_from_and_shows_the_key_levels(page):
    provenance = page.inner_text("#provenance")
    assert "SYNTH" in provenance and "simulated prices and options (data=synthetic)" in provenance
    assert "signal as of 2014-12-31" in provenance and "options snapshot 2014-12-31" in provenance
    assert re.search(r"\(\d[\d,]* days before today, \d{4}-\d{2}-\d{2}\)", provenance)
    assert "Simulated options" in provenance  # the badge
    levels = page.inner_text("#levels")
    for shown in (
        "Key levels, snapshot 2014-12-31",
        "spot:",
        "net dealer gamma:",
        "gamma flip:",
        "call wall (largest call gamma strike at or above spot):",
        "put wall (largest put gamma strike at or below spot):",
        "open interest valued at: own quote",
        "put/call ratio: volume",
        "30-day ATM implied vol:",
        "30-day model-free implied vol",
    ):
        assert shown in levels, shown
    for element in ("#provenance", "#levels"):  # on the first screen, without scrolling
        box = page.locator(element).bounding_box()
        assert box["y"] + box["height"] <= LAPTOP["height"], element


def test_a_hostile_date_is_shown_as_text_and_the_box_returns_to_a_snapshot(page):
    open_tab(page, "Options")
    page.wait_for_function("document.querySelector('#options-status').innerText.includes('Snapshot')")
    field = page.locator("#snapshot input")
    field.click()
    field.press("Control+a")
    field.press_sequentially("<img src=x onerror=window.hacked=1>")
    field.press("Enter")
    # the box then returns to the snapshot drawn, a change that asks the server nothing new: wait for its answer
    page.wait_for_function("document.querySelector('#options-status').innerText.startsWith('‘<img')")
    status = page.inner_text("#options-status")
    assert status.startswith("‘<img src=x onerror=window.hacked=1>’ is not a date (YYYY-MM-DD); showing the latest")
    assert page.locator("#options-status img").count() == 0 and page.evaluate("window.hacked") is None
    assert field.input_value() == "2014-12-31"  # the box shows the snapshot drawn


def test_a_failed_refresh_says_so_and_keeps_the_last_result(page, monkeypatch):
    def no_network(*_args, **_kwargs):
        raise ConnectionError("Could not resolve host: query2.finance.yahoo.com")

    monkeypatch.setattr("spyglass.data.load_market_data", no_network)  # the app runs in this process
    before = page.inner_text("#signal")
    page.click("#refresh")
    page.wait_for_function("document.querySelector('#status').innerText.includes('Refresh failed')")
    assert "Refresh failed (synthetic): Could not resolve host" in page.inner_text("#status")
    assert page.inner_text("#signal") == before


def choose(page, dropdown_id: str, typed: str) -> None:
    """Type into a Gradio dropdown (it filters as you type) and take the first matching option."""
    field = page.locator(f"#{dropdown_id} input")
    field.click()
    field.press("Control+a")
    field.press("Backspace")
    field.press_sequentially(typed)
    page.get_by_role("option").first.click()


def test_options_tab_draws_the_chosen_snapshot_and_expiry(page, screenshot, artifacts_root, small_cfg):
    open_tab(page, "Options")
    page.wait_for_function("document.querySelector('#options-status').innerText.includes('Snapshot')")
    drawn = (("term", 2), ("gex", 3), ("profile", 1), ("gex-by-expiry", 1), ("levels-history", 6), ("pcr", 2),
             ("history", 3))  # fmt: skip
    for plot_id, expected in drawn:
        page.wait_for_selector(f"#{plot_id} .js-plotly-plot")
        assert traces(page, plot_id) == expected, plot_id
    assert traces(page, "smile") >= 3  # the chosen expiry and others across the term structure
    gex_labels = page.locator("#gex .annotation-text").all_text_contents()
    assert any(label.startswith("spot ") for label in gex_labels)
    assert any(label.startswith("call wall ") for label in gex_labels)
    first_title = page.locator("#smile .gtitle").text_content()
    page.locator("#expiry input").click()
    options = page.get_by_role("option")
    options.nth(options.count() - 1).click()  # the longest expiry
    page.wait_for_function(
        f"document.querySelector('#smile .gtitle') && document.querySelector('#smile .gtitle').textContent"
        f" !== {first_title!r}"
    )
    assert page.locator("#smile .gtitle").text_content().startswith("Volatility smiles (out of the money), bold: ")
    store = artifacts_root / small_cfg["paths"]["options_store"]
    older = sorted(p.name.removeprefix("snapshot_date=") for p in store.iterdir())[-30]
    choose(page, "snapshot", older)
    page.wait_for_function(f"document.querySelector('#options-status').innerText.startsWith('Snapshot {older}:')")
    assert traces(page, "gex") == 3
    for plot_id in ("levels-history", "pcr", "history"):  # the chosen day moves on every time series
        chosen_day = f"[...document.querySelector('#{plot_id} .js-plotly-plot').layout.shapes].filter(" \
                     "(s) => s.name === 'chosen day').map((s) => s.x0)"  # fmt: skip
        page.wait_for_function(f"{chosen_day}.every((x) => x === '{older}')")
    page.locator("#history-columns .token").filter(has_text="30-day skew").locator(".token-remove").click()
    page.wait_for_function("document.querySelectorAll('#history .js-plotly-plot .trace').length === 2")
    assert_readable(page)
    screenshot(page, "options")
    open_tab(page, "Backtest")  # tabs are filled when first opened; going back keeps what was chosen
    page.wait_for_selector("#equity .js-plotly-plot")
    open_tab(page, "Options")
    page.wait_for_timeout(500)
    assert page.inner_text("#options-status").startswith(f"Snapshot {older}:") and traces(page, "history") == 2


def test_clear_all_in_the_feature_picker_empties_the_chart(page):
    open_tab(page, "Options")
    page.wait_for_function("document.querySelectorAll('#history .js-plotly-plot .trace').length === 3")
    page.locator("#history-columns .remove-all").click()
    page.wait_for_function("document.querySelectorAll('#history .js-plotly-plot .trace').length === 0")
    assert page.locator("#history-columns .token").count() == 0


def test_a_tab_is_built_when_first_opened_and_a_pick_sends_one_request(browser, app_url, monkeypatch):
    import spyglass.app.main as app_main

    built: list[str] = []
    real = app_main.section_contents
    monkeypatch.setattr(
        app_main, "section_contents", lambda section, *args: built.append(section) or real(section, *args)
    )
    with opened(browser, app_url) as page:
        page.wait_for_selector("#contributions .js-plotly-plot")
        assert built == ["first_screen", "why"]  # the page load ships no hidden tab's figures
        open_tab(page, "Options")
        page.wait_for_function("document.querySelector('#options-status').innerText.startsWith('Snapshot')")
        open_tab(page, "Signal")
        open_tab(page, "Options")  # opened again: nothing rebuilt
        assert built == ["first_screen", "why", "options"]
        joins: list[str] = []
        page.on("request", lambda request: joins.append(request.post_data) if "queue/join" in request.url else None)
        choose(page, "expiry", "20")  # a mouse pick from the list
        page.wait_for_timeout(1000)
        choose(page, "snapshot", "2014-12-30")
        page.wait_for_timeout(1000)
        assert len(joins) == 2, joins  # one each (Gradio's `input` fires twice on a mouse pick: not used)


def test_backtest_tab_shows_equity_drawdown_and_metrics(page, screenshot):
    open_tab(page, "Backtest")
    page.wait_for_selector("#equity .js-plotly-plot")
    assert traces(page, "equity") == 3  # strategy, vol target, buy & hold
    assert traces(page, "drawdown") == 1
    metrics = page.locator("#metrics")
    for text in ("Sharpe ratio", "Maximum drawdown", "strategy (net)", "buy & hold"):
        assert text in metrics.inner_text()
    assert_readable(page)
    screenshot(page, "backtest")


def test_before_a_run_each_tab_says_what_to_do_and_a_reload_after_it_shows_the_results(
    browser, repo_before_first_run, artifacts_root, screenshot
):
    root, url = repo_before_first_run
    with opened(browser, url) as page:
        assert "No pipeline results yet: run make run first" in page.inner_text("#signal")
        page.click("#refresh")
        page.wait_for_function("document.querySelector('#status').innerText.includes('make run')")
        open_tab(page, "Options")
        assert "make run" in page.inner_text("#options-empty")
        assert page.locator(".js-plotly-plot").count() == 0
        open_tab(page, "Backtest")
        assert "make run" in page.inner_text("#backtest-empty")
        assert_readable(page)
        screenshot(page, "empty")

        shutil.copytree(artifacts_root, root, dirs_exist_ok=True)  # the pipeline has run meanwhile
        page.reload()
        page.wait_for_selector("#allocation .js-plotly-plot")
        assert "2014-12-31: allocation" in page.inner_text("#signal")
        open_tab(page, "Backtest")
        page.wait_for_selector("#equity .js-plotly-plot")
        assert "Sharpe ratio" in page.inner_text("#metrics")
        assert not page.locator("#backtest-empty").is_visible()
