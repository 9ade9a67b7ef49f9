"""The look of every workbook we write (intake answers, templates, review files, action lists, exports):
one header style, so an operator recognises our files at a glance. XlsxWriter format properties, by name;
`sheets.writer.StyledWorkbook.style(name)` hands them out."""

from __future__ import annotations

HEADER = {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
# Columns the operator fills in (review decisions, follow-up of an action list): the same header, in yellow.
HEADER_OPERATOR = {**HEADER, "bg_color": "#FFF2CC"}
TITLE = {"bold": True, "font_size": 14}

STYLES: dict[str, dict] = {
    "header": HEADER,
    "header_operator": HEADER_OPERATOR,
    "title": TITLE,
    "note": {"italic": True, "font_color": "#595959"},
    "label": {"bold": True, "valign": "top"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "text": {"num_format": "@"},  # NIK, KK and codes stay text when the operator edits them
    "number": {"num_format": "#,##0", "align": "left"},
    "date": {"num_format": "dd-mm-yyyy", "align": "left"},
    "percent": {"num_format": "0.0%", "align": "center"},
    "small": {"font_color": "#7F7F7F"},
}

__all__ = ["HEADER", "HEADER_OPERATOR", "STYLES", "TITLE"]
