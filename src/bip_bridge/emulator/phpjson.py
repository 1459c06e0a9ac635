"""JSON text the way PHP's ``json_encode`` writes it (LimeSurvey's RPC envelope).

Why: clients that compare raw bodies (and our contract tests) must see what the real
server sends: compact separators, ``\\uXXXX`` for every non-ASCII character, ``\\/`` for
``/``, and an empty PHP array written as ``[]`` even where a dict is meant.
"""

from __future__ import annotations

import json
from typing import Any


def _phpify(value: Any) -> Any:
    if isinstance(value, dict):
        if not value:
            return []
        return {str(k): _phpify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_phpify(v) for v in value]
    return value


def php_json(value: Any) -> str:
    """Encode ``value`` like PHP ``json_encode`` with default flags."""
    text = json.dumps(_phpify(value), ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/")
