"""Logging setup: -v/-vv/-q, and a filter that keeps secrets out of every record."""

from __future__ import annotations

import logging
import sys

from bip_bridge.errors import redact


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through errors.redact (passwords, keys, session keys)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


def setup_logging(*, verbose: int = 0, quiet: bool = False) -> None:
    level = (
        logging.WARNING
        if quiet
        else (logging.INFO if verbose == 1 else logging.DEBUG if verbose >= 2 else logging.WARNING)
    )
    root = logging.getLogger("bip_bridge")
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_bip_bridge", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._bip_bridge = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.propagate = False
    # urllib3 logs full URLs at debug; keep it at warnings unless -vv is asked for twice.
    logging.getLogger("urllib3").setLevel(logging.WARNING if verbose < 3 else logging.DEBUG)
    for noisy in ("citric", "requests"):
        logging.getLogger(noisy).addFilter(RedactingFilter())
