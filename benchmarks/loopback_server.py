"""A loopback JSON-RPC server that serves LimeSurvey-shaped response exports, fast.

For benchmarks only: ``get_session_key``, ``release_session_key``, ``get_summary`` and
``export_responses`` (JSON, code headings, inclusive ``from``/``to`` id bounds,
``completion``, ``fields``), with LimeSurvey's envelope (a base64 ``result`` string,
``No Data, could not get max id.`` on an empty survey). Each response's JSON text is
built once, so a request costs little more than joining and encoding: the measured
time is the client's. ``bench_add`` appends responses (for the incremental run).

    python benchmarks/loopback_server.py 50000     # prints the URL, serves until killed
"""

from __future__ import annotations

import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SID = 845216
ITEMS = [f"BIPD[{c}]" for c in ("JOBTRO", "JOBSOK", "ARBKUN", "MALRIK", "SAMARB", "HALMES",
                                "VARMES", "NATVRK", "KVALIF")]


def make_row(rid: int) -> str:
    """One response as LimeSurvey's JSON export writes it (column order, strings, nulls)."""
    row: dict[str, Any] = {
        "id": rid, "submitdate": "2026-11-20 10:15:00", "lastpage": 2, "startlanguage": "sv",
        "seed": "123456789", "token": f"tok{rid:09d}", "startdate": "2026-11-20 10:05:00",
        "datestamp": "2026-11-20 10:15:00", "PSEUDO": f"{rid * 7919 % 10**12:012x}",
        "WAVE": str(rid % 8), "CWID": f"CW{rid % 40:02d}",
    }
    for i, col in enumerate(ITEMS):
        row[col] = str((rid + i) % 10 + 1) if (rid + i) % 13 else "99"
    row["STATUS"] = ("WORK", "STUDY", "SEEK", "SICK", "OTHER")[rid % 5]
    row["COMMENT"] = None if rid % 3 else "Känns bättre än förra gången, tack för stödet."
    return json.dumps(row, separators=(",", ":"))


class Store:
    def __init__(self, n: int) -> None:
        self.rows: list[str] = []  # index = id - 1
        self.add(n)

    def add(self, n: int) -> int:
        start = len(self.rows) + 1
        self.rows.extend(make_row(i) for i in range(start, start + n))
        return len(self.rows)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as web servers set it: headers and body go out as two writes, and
    # with Nagle's algorithm a small body waits for the client's delayed ACK of the
    # headers (about 40 ms on Linux), which timed the kernel, not the client.
    disable_nagle_algorithm = True
    store: Store

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        method, params = body["method"], body.get("params", [])
        text = self.answer(method, params, body.get("id", 1))
        data = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def answer(self, method: str, params: list[Any], rid: Any) -> str:
        rows = self.store.rows
        if method == "get_session_key":
            result: Any = "k" * 32
        elif method == "release_session_key":
            result = "OK"
        elif method == "bench_add":
            result = self.store.add(int(params[0]))
        elif method == "get_summary":
            result = {"completed_responses": len(rows), "incomplete_responses": 0,
                      "full_responses": len(rows)}
        elif method == "export_responses":
            if not rows:
                result = {"status": "No Data, could not get max id."}
            else:
                p = params + [None] * (10 - len(params))
                completion, lo, hi, fields = p[4] or "all", p[7] or 1, p[8], p[9]
                hi = len(rows) if hi is None else min(int(hi), len(rows))
                chosen = rows[int(lo) - 1:hi] if completion != "incomplete" else []
                if fields:
                    chosen = [json.dumps({k: v for k, v in json.loads(r).items() if k in fields})
                              for r in chosen]
                document = '{"responses": [' + ",".join(chosen) + "]}"
                encoded = base64.b64encode(document.encode()).decode()
                return '{"id":' + json.dumps(rid) + ', "result":"' + encoded + '", "error":null}'
        else:
            result = {"status": f"bench server: {method} not served"}
        return json.dumps({"id": rid, "result": result, "error": None})


def serve(n: int, port: int = 0) -> ThreadingHTTPServer:
    Handler.store = Store(n)
    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


if __name__ == "__main__":
    server = serve(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
    port = server.server_address[1]
    print(f"http://127.0.0.1:{port}/index.php/admin/remotecontrol", flush=True)
    server.serve_forever()
