"""Spreadsheet exports (CSV, XLSX) that stream and never let a cell become a formula."""
