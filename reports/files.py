"""A report as a table, written to CSV, Excel or PDF. Text cells that a spreadsheet would run as
a formula (starting with = + - @, or a tab or carriage return) are neutralised with a leading
apostrophe."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal

from django.utils.translation import gettext as _

from reports.indices import MEASURES, Dimension, Period, rates_for
from reports.selectors import Report, Row

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | Decimal | None


def neutralise(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def title_for(dimension: Dimension, period: Period) -> str:
    return _("城市管理案件考核报表（%(dim)s，%(period)s）") % {
        "dim": dimension.label,
        "period": period.label,
    }


def report_title(report: Report) -> str:
    return title_for(report.dimension, report.period)


def report_table(report: Report) -> tuple[list[str], list[list[Cell]]]:
    """Header and rows: unit, rank, score, grade, every count of the dimension, every rate."""
    rates = rates_for(report.dimension)
    header = [str(report.dimension.label), _("名次"), _("综合得分"), _("等级")]
    header += [str(MEASURES[m]) for m in report.measures]
    header += [f"{r.label}（%）" for r in rates]

    def line(row: Row) -> list[Cell]:
        cells: list[Cell] = [row.label, row.rank, row.score, row.grade]
        cells += [row.counts.get(m, 0) for m in report.measures]
        cells += [row.rates.get(r.key) for r in rates]
        return cells

    return header, [line(row) for row in [*report.rows, report.total]]


def write_csv(report: Report, progress: Callable[[int], None]) -> bytes:
    header, rows = report_table(report)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(report_title(report))])
    writer.writerow([neutralise(report.convention)])
    writer.writerow([neutralise(h) for h in header])
    for index, row in enumerate(rows, start=1):
        writer.writerow(["" if c is None else neutralise(c) for c in row])
        if index % 500 == 0:
            progress(50 + 40 * index // len(rows))
    # A byte-order mark so spreadsheet programs read the Chinese text as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(report: Report, progress: Callable[[int], None]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = report_table(report)
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = str(_("考核报表"))
    sheet.append([neutralise(report_title(report))])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([neutralise(report.convention)])
    sheet.append([neutralise(h) for h in header])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for index, row in enumerate(rows, start=1):
        sheet.append([float(c) if isinstance(c, Decimal) else neutralise(c) for c in row])
        if index % 500 == 0:
            progress(50 + 40 * index // len(rows))
    sheet.column_dimensions["A"].width = 28
    sheet.freeze_panes = "B4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_pdf(report: Report, progress: Callable[[int], None]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"  # one of the CID fonts every PDF reader has: no font file needed
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    title_style = ParagraphStyle("title", fontName=font, fontSize=15, leading=20)
    text_style = ParagraphStyle("text", fontName=font, fontSize=8, leading=11)
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=6.5, leading=8)
    header, rows = report_table(report)
    data = [[Paragraph(h, cell_style) for h in header]]
    for row in rows:
        data.append([Paragraph("" if c is None else str(c), cell_style) for c in row])
    progress(80)
    width = landscape(A4)[0] - 60
    first = 90.0
    rest = (width - first) / max(len(header) - 1, 1)
    table = Table(data, colWidths=[first] + [rest] * (len(header) - 1), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=30,
        rightMargin=30,
        topMargin=30,
        bottomMargin=30,
        title=report_title(report),
    )
    doc.build(
        [
            Paragraph(report_title(report), title_style),
            Spacer(1, 6),
            Paragraph(report.convention, text_style),
            Spacer(1, 8),
            table,
        ]
    )
    return out.getvalue()


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}
