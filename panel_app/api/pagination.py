"""Cursor (keyset) pagination over any of the console's sort orders.

A page ends with an opaque `next_cursor`: the sort values and id of its last row, signed
with SECRET_KEY and tied to the filters and order it was made for. The next page is the
rows strictly after that row in the same order, so rows added or removed meanwhile never
make a page repeat or skip one (which offset paging does on a list that changes while an
integration walks it), and each page costs the same however deep it is.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from panel_app.api.problems import FieldError, Problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def fingerprint(*parts) -> str:
    """A short digest of what a cursor is valid for (filters, order)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-cursor")


def _encode_value(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _decode_value(value):
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        return datetime.fromisoformat(value["t"])
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise ValueError("unexpected cursor value")


def make_cursor(row_values: list, row_id: int, scope: str) -> str:
    return _serializer().dumps({"v": [_encode_value(v) for v in row_values], "id": row_id, "s": scope})


def bad_cursor() -> Problem:
    return Problem(400, "malformed-request", _("This cursor is not valid for this list: start again without it."),
                   errors=[FieldError("cursor", "invalid_cursor", _("Use the next_cursor of the previous page "
                                                                    "unchanged, with the same filters."), "query")])


def read_cursor(cursor: str, scope: str, width: int) -> tuple[list, int]:
    """The (sort values, id) a cursor points after; raises a 400 problem when it is not ours."""
    try:
        data = _serializer().loads(cursor)
        if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("id"), int):
            raise ValueError("cursor for another list")
        values = [_decode_value(v) for v in data.get("v") or []]
        if len(values) != width:
            raise ValueError("cursor of another width")
        return values, data["id"]
    except (BadSignature, ValueError, TypeError, UnicodeError):
        raise bad_cursor() from None


def after(columns: list[tuple[sa.ColumnElement, bool]], id_column, values: list, row_id: int, id_desc: bool):
    """SQL condition: rows strictly after (values, row_id) in the order of `columns`.

    `columns` are (column, descending) pairs sorted NULLS LAST, as the console sorts. For a
    row whose value in column k is NULL, only NULLs follow in that column; otherwise the
    rows beyond it in that direction, and then the NULLs.
    """
    alternatives = []
    equal_so_far: list = []
    for (column, descending), value in zip(columns, values, strict=True):
        if value is None:
            beyond = sa.false()
            same = column.is_(None)
        else:
            beyond = sa.or_(column < value if descending else column > value, column.is_(None))
            same = column == value
        alternatives.append(sa.and_(*equal_so_far, beyond))
        equal_so_far.append(same)
    alternatives.append(sa.and_(*equal_so_far, id_column < row_id if id_desc else id_column > row_id))
    return sa.or_(*alternatives)
