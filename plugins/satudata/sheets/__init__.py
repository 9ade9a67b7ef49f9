"""Spreadsheets, below every stage: format sniffing (`sniff`), the safe xlsx/xls openers and cell-to-text
(`workbook`), delimited text (`delimited`), header finding with aliases (`headers`), and the styled workbook
writer (`writer`, with the styles of `style`). Intake, review answers, `satudata link`, templates, action
lists and exports use them."""
