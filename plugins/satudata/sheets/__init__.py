"""Spreadsheets, below every stage: format sniffing (`sniff`), the safe xlsx/xls openers and cell-to-text
(`workbook`), header finding with aliases (`headers`). Intake, review answers and `satudata link` use them."""
