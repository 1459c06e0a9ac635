"""Response exports, formatted byte-for-byte like LimeSurvey 6.14's ``export_responses``.

Pure functions: a survey's structure and response rows in, the decoded export text out
(the core base64-encodes it). Supported: ``heading=code`` with ``response=short``, as
JSON and CSV. Other heading/response types raise :class:`UnsupportedExport` (the
emulator answers with a clear status instead of guessing the server's labels).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from typing import Any

from bip_bridge.emulator.phpjson import php_json
from bip_bridge.emulator.state import Survey

INT_COLUMNS = frozenset({"id", "lastpage"})


class UnsupportedExport(ValueError):
    """An export option the emulator does not reproduce."""


def export_columns(survey: Survey, fields: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """``(column name, heading)`` pairs; with ``fields`` (SGQA/meta names) in that order."""
    table = [(name, name) for name in survey.meta_columns()]
    table += [(col.name, col.code) for col in survey.columns()]
    if not fields:
        return table
    by_name = dict(table)
    return [(name, by_name[name]) for name in fields if name in by_name]


def _value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in INT_COLUMNS:
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    return str(value)


def export_frame(
    survey: Survey,
    rows: Iterable[dict[str, Any]],
    *,
    heading: str = "code",
    response: str = "short",
    fields: Sequence[str] | None = None,
) -> tuple[list[str], list[list[Any]]]:
    """Headings and typed values of the rows to export."""
    if heading != "code":
        raise UnsupportedExport(
            f"LimeSurvey emulator: heading type {heading!r} is not supported, use 'code'"
        )
    if response != "short":
        raise UnsupportedExport(
            f"LimeSurvey emulator: response type {response!r} is not supported, use 'short'"
        )
    columns = export_columns(survey, fields)
    headings = [h for _, h in columns]
    values = [[_value(name, row.get(name)) for name, _ in columns] for row in rows]
    return headings, values


def render_json(headings: list[str], values: list[list[Any]]) -> str:
    body = ",".join(php_json(dict(zip(headings, row, strict=True))) for row in values)
    return '{"responses": [' + body + "]}"


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    return '"' + str(value).replace('"', '""') + '"'


def render_csv(headings: list[str], values: list[list[Any]]) -> str:
    lines = [";".join(_csv_cell(h) for h in headings)]
    lines += [";".join(_csv_cell(v) for v in row) for row in values]
    return "\ufeff" + "\r\n".join(lines) + "\r\n\r\n"


def render(document_type: str, headings: list[str], values: list[list[Any]]) -> str:
    if document_type == "json":
        return render_json(headings, values)
    if document_type == "csv":
        return render_csv(headings, values)
    raise UnsupportedExport(
        f"LimeSurvey emulator: document type {document_type!r} is not supported, "
        "use 'json' or 'csv'"
    )


def decode_export(result: str) -> str:
    """The text of a base64 export result (helper for tests and the demo)."""
    return base64.b64decode(result).decode("utf-8")


def export_rows(result: str) -> list[dict[str, Any]]:
    """Rows of a base64 JSON export result."""
    rows: list[dict[str, Any]] = json.loads(decode_export(result))["responses"]
    return rows
