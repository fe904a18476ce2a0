"""The user's CSV files, read strictly: text in, typed columns out.

Every problem is one DataFileError naming the file, the line (the header is line 1, the first data row line 2)
and the raw text at fault: an empty file, bytes that are not UTF-8, a header without rows, a missing column, a
date or number that does not parse. Nothing is guessed: a cell either parses or is reported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spyglass.errors import DataError

MAX_LISTED = 5
HEADER_LINES = 1
# A trailing UTC offset or Z: the calendar date is taken as written, in the file's own time zone.
UTC_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
SLASHED = r"^(\d{1,2})/(\d{1,2})/(\d{4})$"


class DataFileError(DataError):
    """A file that cannot be read as the table it should hold; the message names file, lines and raw text."""


@dataclass
class CsvText:
    """A CSV file's cells as pandas' C parser read them (numbers where a whole column is numeric, text
    otherwise, NaN for empty cells) and the file line each row came from."""

    path: Path
    cells: pd.DataFrame
    lines: np.ndarray

    def require(self, columns: list[str] | tuple[str, ...], what: str) -> None:
        """DataFileError unless every column is present."""
        missing = [c for c in columns if c not in self.cells]
        if missing:
            raise DataFileError(
                f"{self.path}: missing column(s) {', '.join(missing)} for {what} "
                f"(the header has {', '.join(map(str, self.cells.columns))})"
            )

    def text(self, column: str) -> pd.Series:
        """The column's cells as stripped strings (NaN where empty)."""
        cells = self.cells[column]
        return cells.where(cells.isna(), cells.astype(str).str.strip())

    def dates(self, column: str, date_format: str | None = None) -> pd.Series:
        """The column as dates (midnight, no time zone); a date with a UTC offset keeps its written calendar day.
        With `date_format` (strptime codes) every cell must be written that way. Dates written with slashes are
        read day first (DD/MM/YYYY) when a first number exceeds 12, else month first (MM/DD/YYYY, as CBOE and US
        files write them); a column with both kinds is refused, naming a line of each."""
        text = self.text(column)
        local = text.str.replace(UTC_OFFSET, "", regex=True)
        if date_format is None:
            date_format = self._slash_order(local, column)
        parsed = pd.to_datetime(local, errors="coerce", format=date_format)  # inferred from the first cell if None
        retry = local.notna() & parsed.isna()
        if retry.any() and date_format is None:  # cells written another way parse one by one
            parsed[retry] = pd.to_datetime(local[retry], errors="coerce", format="mixed")
        expected = f" (expected {date_format!r})" if date_format else ""
        self._refuse(text.notna() & parsed.isna(), column, f"date(s) that do not parse{expected}")
        return parsed.dt.normalize()

    def _slash_order(self, cells: pd.Series, column: str) -> str | None:
        """%d/%m/%Y or %m/%d/%Y for a column of slashed dates (None for any other writing)."""
        parts = cells.str.extract(SLASHED)
        written = cells.notna()
        if not written.any() or parts[0][written].isna().any():
            return None
        first, second = parts[0][written].astype(int), parts[1][written].astype(int)
        day_first, month_first = first > 12, second > 12
        if day_first.any() and month_first.any():
            rows = [day_first.idxmax(), month_first.idxmax()]  # labels are row positions (read_csv_text)
            shown = lines_text(self.lines[rows], [cells[row] for row in rows])
            raise DataFileError(f"{self.path}: column {column!r} mixes day-first and month-first dates: {shown}; "
                                "write them as YYYY-MM-DD")  # fmt: skip
        return "%d/%m/%Y" if day_first.any() else "%m/%d/%Y"

    def timestamps(self, column: str) -> pd.Series:
        """The column as UTC timestamps (ISO 8601; naive ones are taken as UTC, offsets converted)."""
        text = self.text(column)
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        self._refuse(text.notna() & parsed.isna(), column, "timestamp(s) that do not parse")
        return parsed

    def numbers(self, column: str) -> pd.Series:
        """The column as floats (empty cells NaN; "inf" stays inf for the schema to refuse with its line)."""
        if pd.api.types.is_numeric_dtype(self.cells[column]):
            return self.cells[column].astype(float)  # the C parser read every cell as a number
        text = self.text(column)
        parsed = pd.to_numeric(text, errors="coerce")
        self._refuse(text.notna() & parsed.isna(), column, "value(s) that are not numbers")
        return parsed.astype(float)

    def _refuse(self, bad: pd.Series, column: str, what: str) -> None:
        if bad.any():
            raise DataFileError(f"{self.path}: column {column!r} has {int(bad.sum())} {what}: "
                                + lines_text(self.lines[bad.to_numpy()], self.cells.loc[bad, column]))  # fmt: skip


def lines_text(lines: np.ndarray, raw: pd.Series | list) -> str:
    """ "line 5 '2020-13-45', line 9 'abc' and 3 more"."""
    shown = [f"line {line} {value!r}" for line, value in zip(lines[:MAX_LISTED], list(raw)[:MAX_LISTED], strict=True)]
    more = f" and {len(lines) - MAX_LISTED} more" if len(lines) > MAX_LISTED else ""
    return ", ".join(shown) + more


def read_csv_text(path: str | Path, preamble_lines: int = 0) -> CsvText:
    """The cells of a CSV file as text; headers stripped. The column header is on line `preamble_lines` + 1
    (lines before it are skipped). A row with fewer fields than the header (a truncated file) is refused.
    Raises FileNotFoundError or DataFileError."""
    path = Path(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise DataFileError(f"{path}: the file is empty ({len(raw)} bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line_end = raw.find(b"\n", exc.start)
        context = raw[line_start : line_end if line_end >= 0 else len(raw)]
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataFileError(f"{path}, line {line}: not UTF-8 text (byte {raw[exc.start:exc.start + 1]!r} in "
                            f"{context.decode('utf-8', 'replace')!r}); save the file as UTF-8") from None  # fmt: skip
    try:
        cells = pd.read_csv(io.StringIO(text), skiprows=preamble_lines, skip_blank_lines=False, low_memory=False)
    except pd.errors.ParserError as exc:
        raise DataFileError(f"{path}: not a well-formed CSV file: {exc}") from None
    _refuse_short_rows(path, text, preamble_lines)
    lines = np.arange(len(cells)) + preamble_lines + HEADER_LINES + 1
    filled = cells.notna().any(axis=1).to_numpy()
    cells, lines = cells[filled].reset_index(drop=True), lines[filled]
    if cells.empty:
        raise DataFileError(f"{path}: a header ({', '.join(map(str, cells.columns))}) but no data rows")
    cells.columns = [str(c).strip() for c in cells.columns]
    return CsvText(path, cells, lines)


def _refuse_short_rows(path: Path, text: str, preamble_lines: int) -> None:
    """DataFileError naming the rows (not blank) with fewer fields than the header: pandas would fill them in."""
    rows = list(csv.reader(io.StringIO(text)))[preamble_lines:]
    if not rows:
        return
    width = len(rows[0])
    short = [(i, row) for i, row in enumerate(rows[1:]) if row and any(row) and len(row) < width]
    if short:
        lines = np.array([preamble_lines + HEADER_LINES + 1 + i for i, _ in short])
        raw = [",".join(row)[:60] for _, row in short]
        raise DataFileError(f"{path}: {len(short)} row(s) with fewer fields than the header's {width} (a "
                            f"truncated file?): " + lines_text(lines, raw))  # fmt: skip
