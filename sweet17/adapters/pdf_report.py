"""The head-of-office PDF (reportlab): key figures, sections of tables and charts, page numbers.

Plain data in (``PdfReport``: texts already translated, table cells already formatted), one A4
PDF out, written to a temporary file and renamed. Wide tables get column widths from their
content, shrink their font to fit the page, and repeat their header row on every page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ACCENT = "#1F4E78"
FILLS = {"bad": "#F8CBAD", "warn": "#FFE699", "good": "#C6EFCE"}


@dataclass
class PdfTable:
    title: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)      # right-align these columns
    highlight: dict[int, str] = field(default_factory=dict)
    total: list[str] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class PdfImage:
    path: Path
    caption: str = ""
    width_fraction: float = 1.0


@dataclass
class PdfSection:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[PdfTable] = field(default_factory=list)
    images: list[PdfImage] = field(default_factory=list)
    images_first: bool = False


@dataclass
class KeyFigure:
    label: str
    value: str
    note: str = ""


@dataclass
class PdfReport:
    title: str
    subtitle: str
    meta: list[tuple[str, str]]             # (label, value) under the title: office, period, printed on
    key_figures: list[KeyFigure]
    sections: list[PdfSection]
    footer: str = ""
    page_label: str = "Page {page}"


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_pdf(path: Path, report: PdfReport) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import (
        CondPageBreak,
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    h_title = ParagraphStyle("t", parent=styles["Title"], fontSize=17, leading=21, alignment=TA_LEFT,
                             textColor=colors.HexColor(ACCENT), spaceAfter=2)
    h_sub = ParagraphStyle("s", parent=styles["Normal"], fontSize=11, leading=14, textColor=colors.HexColor("#404040"))
    h_sec = ParagraphStyle("h", parent=styles["Heading2"], fontSize=13, leading=16, textColor=colors.HexColor(ACCENT),
                           spaceBefore=8, spaceAfter=4)
    h_tab = ParagraphStyle("ht", parent=styles["Heading4"], fontSize=9.5, leading=12, spaceBefore=6, spaceAfter=3)
    body = ParagraphStyle("b", parent=styles["Normal"], fontSize=9.5, leading=12.5, spaceAfter=4)
    small = ParagraphStyle("sm", parent=styles["Normal"], fontSize=7.5, leading=9.5,
                           textColor=colors.HexColor("#595959"))
    fig_v = ParagraphStyle("fv", parent=styles["Normal"], fontSize=15, leading=18, fontName="Helvetica-Bold",
                           textColor=colors.HexColor(ACCENT))
    fig_l = ParagraphStyle("fl", parent=styles["Normal"], fontSize=8, leading=10)

    page_w, page_h = A4
    margin = 16 * mm
    frame_w = page_w - 2 * margin
    story: list = []
    story.append(Paragraph(_escape(report.title), h_title))
    story.append(Paragraph(_escape(report.subtitle), h_sub))
    story.append(Spacer(1, 4 * mm))
    if report.meta:
        meta = Table([[Paragraph(f"<b>{_escape(k)}</b>", body), Paragraph(_escape(v), body)] for k, v in report.meta],
                     colWidths=[40 * mm, frame_w - 40 * mm])
        meta.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                                  ("TOPPADDING", (0, 0), (-1, -1), 1)]))
        story += [meta, Spacer(1, 4 * mm)]
    if report.key_figures:
        per_row = 3
        cells, row = [], []
        for kf in report.key_figures:
            cell = [Paragraph(_escape(kf.value), fig_v), Paragraph(_escape(kf.label), fig_l)]
            if kf.note:
                cell.append(Paragraph(_escape(kf.note), small))
            row.append(cell)
            if len(row) == per_row:
                cells.append(row)
                row = []
        if row:
            cells.append(row + [""] * (per_row - len(row)))
        grid = Table(cells, colWidths=[frame_w / per_row] * per_row)
        grid.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#BFBFBF")),
            ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#BFBFBF")),
            ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F2F7FB")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        ]))
        story += [grid, Spacer(1, 3 * mm)]

    def table_flowables(t: PdfTable) -> list:
        ncol = len(t.headers)
        all_rows = [t.headers, *t.rows] + ([t.total] if t.total else [])
        font = 8.0
        # widths from the longest cell (headers wrap, so they count less), then scaled to the frame
        want = []
        for j in range(ncol):
            body_w = max((stringWidth(str(r[j]), "Helvetica", font) for r in all_rows[1:] if j < len(r)), default=0)
            head_w = max(stringWidth(w, "Helvetica-Bold", font) for w in (t.headers[j].split() or [""]))
            want.append(max(body_w, head_w, 14) + 8)
        total_w = sum(want)
        if total_w > frame_w:
            # shrink the widest columns first: text columns wrap, numbers must not
            numeric = t.numeric or [False] * ncol
            fixed = sum(w for w, n in zip(want, numeric, strict=False) if n)
            flex = total_w - fixed
            room = max(frame_w - fixed, frame_w * 0.3)
            want = [w if n else w * room / flex for w, n in zip(want, numeric, strict=False)]
            if sum(want) > frame_w:
                scale = frame_w / sum(want)
                want = [w * scale for w in want]
                font = max(6.0, font * scale)
        cell_style = ParagraphStyle("c", parent=styles["Normal"], fontSize=font, leading=font * 1.2)
        head_style = ParagraphStyle("hc", parent=cell_style, fontName="Helvetica-Bold", textColor=colors.white)
        data = [[Paragraph(_escape(h), head_style) for h in t.headers]]
        for r in t.rows + ([t.total] if t.total else []):
            data.append([Paragraph(_escape(str(c)), cell_style) if not (t.numeric and t.numeric[j]) else str(c)
                         for j, c in enumerate(r)])
        tab = Table(data, colWidths=want, repeatRows=1, hAlign="LEFT")
        st = [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(ACCENT)),
            ("FONTSIZE", (0, 1), (-1, -1), font),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#BFBFBF")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        for j, num in enumerate(t.numeric):
            if num:
                st.append(("ALIGN", (j, 1), (j, -1), "RIGHT"))
        for i in range(len(t.rows)):
            if i % 2:
                st.append(("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor("#F7F7F7")))
        for i, kind in t.highlight.items():
            if kind in FILLS and i < len(t.rows):
                st.append(("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor(FILLS[kind])))
        if t.total:
            st += [("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                   ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#DDEBF7"))]
        tab.setStyle(TableStyle(st))
        out = [CondPageBreak(30 * mm), Paragraph(_escape(t.title), h_tab), tab]
        out += [Paragraph(_escape(n), small) for n in t.notes]
        return out

    def image_flowables(img: PdfImage) -> list:
        from reportlab.lib.utils import ImageReader

        iw, ih = ImageReader(str(img.path)).getSize()
        w = frame_w * img.width_fraction
        h = w * ih / iw
        max_h = page_h - 2 * margin - 30 * mm
        if h > max_h:
            w, h = w * max_h / h, max_h
        parts = [Image(str(img.path), width=w, height=h)]
        if img.caption:
            parts.append(Paragraph(_escape(img.caption), small))
        return [KeepTogether(parts), Spacer(1, 2 * mm)]

    for sec in report.sections:
        story.append(CondPageBreak(45 * mm))
        story.append(Paragraph(_escape(sec.title), h_sec))
        story += [Paragraph(_escape(p), body) for p in sec.paragraphs]
        imgs = [f for img in sec.images for f in image_flowables(img)]
        tabs = [f for t in sec.tables for f in table_flowables(t)]
        story += (imgs + tabs) if sec.images_first else (tabs + imgs)

    def on_page(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#7F7F7F"))
        canvas.drawString(margin, 9 * mm, report.footer)
        canvas.drawRightString(page_w - margin, 9 * mm, report.page_label.format(page=doc.page))
        canvas.setStrokeColor(colors.HexColor(ACCENT))
        canvas.setLineWidth(1.2)
        canvas.line(margin, page_h - 10 * mm, page_w - margin, page_h - 10 * mm)
        canvas.restoreState()

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.pdf")
    doc = SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=report.title, author="sweet17", subject=report.subtitle)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    os.replace(tmp, path)
    return path
