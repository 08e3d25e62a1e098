"""CSV files as exported by Excel, Dukcapil and hand: the encoding (UTF-8 with or without BOM, UTF-16,
else Windows-1252) and the delimiter (comma, semicolon, tab, pipe) are detected. Rows are streamed,
so a two-million-row registry extract never sits in memory whole."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sweet17.adapters.readers import ReadError, Row
from sweet17.i18n import N_

DELIMITERS = ",;\t|"
_CHUNK = 1 << 22


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-16' or 'cp1252' (the whole file is checked as UTF-8, incrementally)."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
            return "utf-16"
        fh.seek(0)
        dec = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_CHUNK):
                dec.decode(chunk)
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def detect_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the most, equally many fields."""
    lines = [ln for ln in sample.splitlines()[:30] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", (-1, -1)
    for d in DELIMITERS:
        counts = []
        for ln in lines:
            try:
                counts.append(len(next(csv.reader([ln], delimiter=d))) - 1)
            except (csv.Error, StopIteration):
                counts.append(0)
        if not counts or max(counts) == 0:
            continue
        common = max(set(counts), key=counts.count)
        score = (counts.count(common), common)
        if common > 0 and score > best_score:
            best, best_score = d, score
    return best


@dataclass
class CsvBook:
    path: Path
    encoding: str
    delimiter: str
    kind: str = "csv"

    @property
    def sheet_names(self) -> list[str]:
        return [self.path.stem]

    def iter_rows(self, sheet: str = "") -> Iterator[Row]:
        errors = "replace" if self.encoding == "cp1252" else "strict"
        with self.path.open("r", encoding=self.encoding, errors=errors, newline="") as fh:
            try:
                yield from csv.reader(fh, delimiter=self.delimiter)
            except csv.Error as e:
                raise ReadError("corrupt", N_("{path}: the file is damaged or not a spreadsheet ({detail})"),
                                detail=str(e)) from None

    def grid(self, sheet: str = "") -> list[Row]:
        return list(self.iter_rows(sheet))

    def close(self) -> None:
        """Nothing to release: the text was read whole when the file was opened."""


def read_csv(path: Path) -> CsvBook:
    try:
        enc = detect_encoding(path)
        errors = "replace" if enc == "cp1252" else "strict"
        with path.open("r", encoding=enc, errors=errors, newline="") as fh:
            sample = fh.read(64 * 1024)
    except OSError as e:
        raise ReadError("unreadable", N_("{path}: cannot be read ({detail})"), detail=e.strerror) from None
    except UnicodeError as e:
        raise ReadError("corrupt", N_("{path}: the file is damaged or not a spreadsheet ({detail})"),
                        detail=str(e)) from None
    if not sample.strip():
        raise ReadError("empty", N_("{path}: the file is empty"))
    return CsvBook(path=path, encoding=enc, delimiter=detect_delimiter(sample))
