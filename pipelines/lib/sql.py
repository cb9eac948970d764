"""Quoting for SQL built as text (DuckDB): identifiers and string literals."""
from __future__ import annotations


def quote_ident(name: str) -> str:
    """A column or table name as a DuckDB identifier, whatever characters the source header had."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value) -> str:
    """A value (a path, a code) as a SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"
