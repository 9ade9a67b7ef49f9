"""The look of every workbook we write (intake answers, templates, review files, action lists, exports):
one header style, so an operator recognises our files at a glance. XlsxWriter format properties."""

from __future__ import annotations

HEADER = {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
# Columns the operator fills in (review decisions, follow-up of an action list): the same header, in yellow.
HEADER_OPERATOR = {**HEADER, "bg_color": "#FFF2CC"}
TITLE = {"bold": True, "font_size": 14}

__all__ = ["HEADER", "HEADER_OPERATOR", "TITLE"]
