"""JSON text the way PHP's ``json_encode`` writes it (LimeSurvey's RPC envelope).

Why: clients that compare raw bodies (and our contract tests) must see what the real
server sends. Every result of every method passes through :func:`php_json`, so the
emulator's methods build plain Python dicts and lists and this one place turns them into
what PHP would write:

* a PHP array is one type, both list and map. PHP stores a key that is a canonical
  decimal integer (``"0"``, ``"17"``, ``"-3"``; not ``"01"`` or ``" 1"``) as that integer,
  and ``json_encode`` writes an array whose keys are exactly 0, 1, ..., n-1 in that order
  as a JSON **list**, every other array as an object (keys as strings again). So answer
  options keyed by codes ``"0", "1", "2"`` arrive as a list, and an empty array as ``[]``
  even where a dict is meant (LimeSurvey 6.14, measured);
* compact separators, ``\\uXXXX`` for every non-ASCII character, ``\\/`` for ``/``.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PHP_INT_KEY = re.compile(r"^(?:0|-?[1-9][0-9]*)$")
_PHP_INT_MAX = 2**63 - 1


def php_key(key: Any) -> Any:
    """The key PHP stores for ``key``: canonical integer strings (and bools) become ints."""
    if isinstance(key, bool):
        return int(key)
    if isinstance(key, str) and _PHP_INT_KEY.match(key) and abs(int(key)) <= _PHP_INT_MAX:
        return int(key)
    return key


def _phpify(value: Any) -> Any:
    if isinstance(value, dict):
        items = [(php_key(k), _phpify(v)) for k, v in value.items()]
        if all(k == i for i, (k, _) in enumerate(items)):  # also the empty array
            return [v for _, v in items]
        return {str(k): v for k, v in items}
    if isinstance(value, (list, tuple)):
        return [_phpify(v) for v in value]
    return value


def php_json(value: Any) -> str:
    """Encode ``value`` like PHP ``json_encode`` with default flags."""
    text = json.dumps(_phpify(value), ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/")
