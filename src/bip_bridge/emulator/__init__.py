"""A LimeSurvey 6.14 RemoteControl 2 (JSON-RPC) EMULATOR — for tests and the demo only.

Never point production at it: it keeps everything in memory, sends no e-mail (the
"sent" messages land in ``outbox``) and knows one admin user. It exists so the test
suite, the benchmarks and ``bip-bridge demo`` can run the whole bridge on one machine
against a real HTTP endpoint that behaves like the recorded server
(tests/fixtures/limesurvey/*.jsonl). See docs/emulator.md.

* :class:`EmulatorCore` — pure in-memory state, one method per RPC method.
* :class:`EmulatorServer` — the core behind a loopback ``ThreadingHTTPServer``.
"""

from __future__ import annotations

from bip_bridge.emulator.core import (
    EmulatorCore,
    PhpError,
    PhpException,
    SentEmail,
    decode_export,
    export_rows,
)
from bip_bridge.emulator.server import BANNER, RPC_PATH, EmulatorServer

__all__ = [
    "BANNER",
    "RPC_PATH",
    "EmulatorCore",
    "EmulatorServer",
    "PhpError",
    "PhpException",
    "SentEmail",
    "decode_export",
    "export_rows",
]
