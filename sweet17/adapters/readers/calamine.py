"""xlsx, xlsm, xlsb, ods and real BIFF .xls files through python-calamine (Rust; ~10x openpyxl)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sweet17.adapters.readers import ReadError, Row
from sweet17.i18n import N_


@dataclass
class CalamineBook:
    kind: str
    book: Any

    @classmethod
    def open(cls, path: Path, sniffed: str) -> CalamineBook:
        import python_calamine as pc

        try:
            book = pc.CalamineWorkbook.from_path(str(path))
        except pc.PasswordError:
            raise ReadError("password", N_("{path}: the workbook is protected with a password; open it in Excel "
                                           "and save it again without a password")) from None
        except (pc.ZipError, pc.XmlError) as e:
            raise ReadError("corrupt", N_("{path}: the file is damaged or not a spreadsheet ({detail})"),
                            detail=str(e).splitlines()[0][:200]) from None
        except pc.CalamineError as e:
            detail = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
            if sniffed == "ole" and _is_encrypted_ooxml(path):
                raise ReadError("password", N_("{path}: the workbook is protected with a password; open it in "
                                               "Excel and save it again without a password")) from None
            raise ReadError("corrupt", N_("{path}: the file is damaged or not a spreadsheet ({detail})"),
                            detail=detail) from None
        except OSError as e:
            raise ReadError("unreadable", N_("{path}: cannot be read ({detail})"), detail=e.strerror or str(e)) \
                from None
        kind = "xls" if sniffed == "ole" else ("ods" if str(path).lower().endswith(".ods") else "xlsx")
        return cls(kind=kind, book=book)

    @property
    def sheet_names(self) -> list[str]:
        return list(self.book.sheet_names)

    def _sheet(self, name: str) -> Any:
        import python_calamine as pc

        try:
            return self.book.get_sheet_by_name(name)
        except pc.CalamineError as e:
            raise ReadError("corrupt", N_("{path}: the file is damaged or not a spreadsheet ({detail})"),
                            detail=f"{name}: {str(e).splitlines()[0][:200] if str(e) else type(e).__name__}") \
                from None

    def grid(self, sheet: str) -> list[Row]:
        """The whole sheet from cell A1 (row index + 1 = Excel row number)."""
        return self._sheet(sheet).to_python(skip_empty_area=False)

    def iter_rows(self, sheet: str) -> Iterator[Row]:
        """Rows streamed from row 1; leading empty columns are put back so indexes match ``grid``."""
        sh = self._sheet(sheet)
        start = sh.start
        pad = [""] * start[1] if start and start[1] else None
        if pad is None:
            yield from sh.iter_rows()
        else:
            for row in sh.iter_rows():
                yield pad + row

    def close(self) -> None:
        try:
            self.book.close()
        except Exception:  # already closed
            pass


def _is_encrypted_ooxml(path: Path) -> bool:
    """An OLE2 file holding an 'EncryptedPackage' stream is a password-protected xlsx."""
    try:
        with path.open("rb") as fh:
            data = fh.read(1 << 20)
    except OSError:
        return False
    return "EncryptedPackage".encode("utf-16-le") in data
