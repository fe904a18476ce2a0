"""The app's words on the first screen: where the data comes from and how old it is, the key option levels as
numbers, and error messages a trader can read (escaped, without class names or server paths)."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from typing import Any

import pandas as pd

from spyglass.data import source_of

SOURCE_KINDS = {
    "sample": "real S&P 500 bars (arch), simulated options",
    "synthetic": "simulated prices and options",
    "yfinance": "live Yahoo Finance",
    "csv": "user CSV files",
    "cboe": "CBOE quote files",
    "kaggle": "Kaggle Hull Tactical file (no options)",
}
SIMULATED_BADGE = "⚠️ **Simulated options**: every option figure on this page comes from generated chains, not quotes."
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s/:'\"]+/)+")


def escaped(value: Any) -> str:
    """Text safe to put in Markdown that Gradio renders as HTML: no tag or entity of the input survives."""
    return html.escape(str(value), quote=True)


def plain_message(exc: BaseException) -> str:
    """An exception as one escaped line for the page: its message without class name or server directories."""
    text = " ".join(str(exc).split()) or "unexpected error (details in the server log)"
    return escaped(ABSOLUTE_PATH.sub("", text))


def provenance_markdown(cfg: dict, signal_date: str | None, snapshot_date: str | None, today: dt.date) -> str:
    """Source, ticker, as-of dates and their staleness against `today`, and the simulated-options badge."""
    data = cfg["data"]
    source = source_of(data)
    kind = SOURCE_KINDS.get(data["source"], data["source"])
    parts = [f"**{escaped(data.get('ticker', ''))}** · {escaped(kind)} (`data={escaped(data['source'])}`)"]
    for label, day in (("signal as of", signal_date), ("options snapshot", snapshot_date)):
        if day:
            age = (today - dt.date.fromisoformat(day)).days
            parts.append(f"{label} **{day}** ({age:,} day{'s' if age != 1 else ''} before today, {today})")
    if signal_date is None:
        parts.append("no pipeline results yet")
    lines = [" · ".join(parts)]
    if source.simulated and source.has_options:
        lines.append(SIMULATED_BADGE)
    return "\n\n".join(lines)


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _level(label: str, level: float | None, spot: float, missing: str) -> str:
    if level is None:
        return f"- {label}: {missing}"
    return f"- {label}: **{level:,.2f}** ({level / spot - 1:+.1%} from spot)"


def _crossings_note(crossings: float | None, flip_range: float) -> str:
    """Which crossing the flip is, where the profile crosses zero more than once."""
    if crossings is None or crossings <= 1:
        return ""
    return f"; the nearest to spot of **{crossings:.0f}** crossings within ±{flip_range:.0%}"


def _walls(side: str, near: float | None, overall: float | None, spot: float, where: str) -> str:
    """Both readings of a wall: the largest gamma strike on its side of spot (shown) and overall."""
    line = _level(f"{side} wall (largest {side} gamma strike {where} spot)", near, spot, "n/a")
    if overall is not None and overall != near:
        line += f"; largest {side} gamma strike overall **{overall:,.2f}** ({overall / spot - 1:+.1%})"
    return line


def _coverage(row: dict) -> str:
    """The share of open interest the exposures value from each source, where the row has it."""
    shares = {name: _number(row.get(f"oi_share_{key}")) for name, key in
              (("own quote", "quote"), ("smile", "smile"), ("provider's IV", "provider"))}  # fmt: skip
    if any(share is None for share in shares.values()):
        return ""
    unpriced = max(1.0 - sum(shares.values()), 0.0)
    parts = [f"{name} **{share:.1%}**" for name, share in shares.items()] + [f"unpriced {unpriced:.1%}"]
    return "- open interest valued at: " + ", ".join(parts)


def key_levels_markdown(row: dict | None, vix_30d: float | None, flip_range: float) -> str:
    """The latest snapshot's levels (an options features row): spot, net dealer gamma and its regime, the flip
    (and how many crossings it was chosen from), both readings of the walls, what the exposures' open interest
    is valued at, put/call ratios, 30-day ATM IV and skew, and the 30-day model-free index where there is one."""
    if not row:
        return "**No option levels**: the data source has no options, or the pipeline has not run yet."
    spot, gex = float(row["spot"]), _number(row.get("gex_usd_per_pct"))
    regime = (
        "unknown"
        if gex is None
        else "positive gamma: dealers' hedging damps moves"
        if gex >= 0
        else "negative gamma: dealers' hedging amplifies moves"
    )
    gex_text = "n/a" if gex is None else f"**{gex / 1e9:+,.2f} bn USD** per 1 % move"
    lines = [
        f"#### Key levels, snapshot {escaped(str(row['date'])[:10])}",
        f"- spot: **{spot:,.2f}**",
        f"- net dealer gamma: {gex_text} ({regime})",
        _level("gamma flip", _number(row.get("gamma_flip")), spot, f"no flip within ±{flip_range:.0%} of spot")
        + _crossings_note(_number(row.get("gamma_flip_crossings")), flip_range),
        _walls("call", _number(row.get("call_wall")), _number(row.get("call_wall_overall")), spot, "at or above"),
        _walls("put", _number(row.get("put_wall")), _number(row.get("put_wall_overall")), spot, "at or below"),
    ]
    coverage = _coverage(row)
    if coverage:
        lines.append(coverage)
    ratios = [(name, _number(row.get(key))) for name, key in (("volume", "pcr_volume"), ("open interest", "pcr_oi"))]
    lines.append("- put/call ratio: " + ", ".join(f"{name} **{v:.2f}**" for name, v in ratios if v is not None))
    iv, skew = _number(row.get("iv_atm_30d")), _number(row.get("iv_skew_30d"))
    if iv is not None:
        lines.append(f"- 30-day ATM implied vol: **{iv:.1%}**" + (f"; skew {skew * 100:+.1f} vol pts" if skew else ""))
    if vix_30d is not None:
        lines.append(f"- 30-day model-free implied vol (VIX method): **{vix_30d:.1f}**")
    return "\n".join(lines)


JOURNAL_EMPTY = "No signals recorded yet: run `make daily` after `make run` (each run records the day's signal)."
JOURNAL_COLUMNS = {
    "as_of": "as of",
    "prediction": "predicted (bp)",
    "vol_estimate": "vol estimate",
    "allocation": "allocation",
    "realised_return": "realised return",
    "pnl": "P&L",
    "staleness_days": "days old",
    "flags": "flags",
    "reruns": "reruns",
    "run_time": "recorded (UTC)",
}


def journal_table(journal: pd.DataFrame) -> pd.DataFrame:
    """The signals issued, newest first, in readable columns (returns and vol in %, the prediction in bp)."""
    table = journal[list(JOURNAL_COLUMNS)].sort_values("as_of", ascending=False).copy()
    table["as_of"] = pd.to_datetime(table["as_of"]).dt.strftime("%Y-%m-%d")
    table["run_time"] = pd.to_datetime(table["run_time"]).dt.strftime("%Y-%m-%d %H:%M")
    table["prediction"] = (table["prediction"] * 1e4).round(2)
    for column in ("vol_estimate", "realised_return", "pnl"):
        table[column] = (table[column] * 100).round(2).map(lambda v: "" if pd.isna(v) else f"{v:+.2f} %")
    table["allocation"] = table["allocation"].round(3)
    return table.rename(columns=JOURNAL_COLUMNS)


def forward_record_markdown(record: dict | None) -> str:
    """The forward record beside buy-and-hold over the same days and the backtest's figures."""
    if not record:
        return JOURNAL_EMPTY
    lines = [f"#### Forward record: {record['days_recorded']} day(s) recorded, {record['days_realised']} realised"
             + (f", {record['reruns']} rerun(s) noted" if record.get("reruns") else "")]  # fmt: skip
    if record.get("journal") is None:
        lines.append("Figures appear once two recorded days have their next day's return.")
    sides = [("journal's positions", record.get("journal")), ("buy & hold, same days", record.get("buy_and_hold"))]
    backtest = record.get("backtest") or {}
    since = f" since {backtest['period']['start']}" if backtest.get("period") else ""
    sides += [(f"backtest strategy{since}", backtest.get("strategy")),
              (f"backtest buy & hold{since}", backtest.get("buy_and_hold"))]  # fmt: skip
    for name, figures in sides:
        if figures:
            shown = ", ".join(f"{label} {_percent_or_ratio(key, figures.get(key))}" for key, label in
                              (("cagr", "CAGR"), ("sharpe", "Sharpe"), ("ann_vol", "vol"), ("hit_rate", "hit rate"),
                               ("max_drawdown", "max drawdown")) if figures.get(key) is not None)  # fmt: skip
            lines.append(f"- {name}: {shown}")
    return "\n".join(lines)


def _percent_or_ratio(key: str, value: float) -> str:
    return f"{value:.2f}" if key == "sharpe" else f"{value:.1%}"
