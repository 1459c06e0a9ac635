"""HTTP front of the LimeSurvey EMULATOR — for tests and the demo only, never production.

A real JSON-RPC endpoint on a loopback port, answering with the envelopes, status codes
and content types recorded from LimeSurvey 6.14 (tests/fixtures/limesurvey/). The
behaviour is in :class:`~bip_bridge.emulator.core.EmulatorCore`; this module only does
the transport: request parsing, the RPCInterface setting, error pages, notifications
(id 0/null), export envelopes and injected transient failures.
"""

from __future__ import annotations

import html
import json
import logging
import threading
import xmlrpc.client
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from bip_bridge.emulator.core import Clock, EmulatorCore, PhpError, PhpException
from bip_bridge.emulator.phpjson import php_json

log = logging.getLogger("bip_bridge.emulator")

RPC_PATH = "/index.php/admin/remotecontrol"
EXPORT_METHODS = frozenset({"export_responses", "export_responses_by_token"})
HTML = "text/html; charset=UTF-8"
JSON = "application/json"
XMLRPC_NO_METHOD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse><fault><value><struct>'
    "<member><name>faultCode</name><value><int>632</int></value></member>"
    "<member><name>faultString</name><value><string>Invalid request, no method passed; "
    "request must contain a 'methodName' tag</string></value></member>"
    "</struct></value></fault></methodResponse>"
)
BANNER = "LimeSurvey EMULATOR — for tests and the demo only, never production"


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes


def error_page(message: str) -> str:
    """A short stand-in for LimeSurvey's ~7 KB HTML error page, with the same message."""
    text = html.escape(f"500: Internal Server Error - {message}")
    return (
        '\n\n<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta http-equiv="content-type" '
        'content="text/html; charset=UTF-8"/>\n<title>500: Internal Server Error</title>\n'
        "</head>\n<body class=\"error-page\">\n"
        f'<h2 class="error-title">{text}</h2>\n'
        '<div class="error-content">An internal error occurred while the Web server was '
        "processing your request.</div>\n<!-- LimeSurvey emulator -->\n</body>\n</html>\n"
    )


def _is_notification(request_id: Any) -> bool:
    # PHP: `if (!$id)` - null, 0, "0", "" and false are all falsy.
    return request_id is None or request_id is False or request_id in (0, "0", "")


class RpcEndpoint:
    """Turns one HTTP request into one :class:`Reply` (pure transport logic, thread-safe)."""

    def __init__(self, core: EmulatorCore) -> None:
        self.core = core
        self.lock = threading.Lock()
        self._fail_next: list[int] = []
        self.injected_failures = 0

    def fail_next(self, n: int = 1, http_status: int = 503) -> None:
        """Answer the next ``n`` POSTs with ``http_status`` (a transient failure)."""
        with self.lock:
            self._fail_next.extend([http_status] * n)

    def handle(self, content_type: str, body: bytes) -> Reply:
        with self.lock:
            if self._fail_next:
                status = self._fail_next.pop(0)
                self.injected_failures += 1
                return Reply(status, HTML, f"{status}: emulated transient failure\n".encode())
            mode = self.core.rpc_interface
            if mode == "off":
                return Reply(200, HTML, b"")
            if mode == "xml":
                return self._xmlrpc(body)
            if "application/json" not in content_type.lower():
                return Reply(200, HTML, b"")
            return self._jsonrpc(body)

    def _xmlrpc(self, body: bytes) -> Reply:
        try:
            params, method = xmlrpc.client.loads(body)
        except Exception:  # any unreadable body (expat, value, fault): LimeSurvey's one page
            return Reply(200, HTML, XMLRPC_NO_METHOD.encode())
        if not method:
            return Reply(200, HTML, XMLRPC_NO_METHOD.encode())
        try:
            result = self.core.call(method, list(params))
        except (PhpError, PhpException) as exc:
            text = xmlrpc.client.dumps(xmlrpc.client.Fault(1, str(exc)), methodresponse=True)
            return Reply(200, HTML, text.encode())
        if result is None:
            result = ""
        text = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=True)
        return Reply(200, HTML, text.encode())

    def _jsonrpc(self, body: bytes) -> Reply:
        try:
            request = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return Reply(200, JSON,
                         b'{"id":null,"result":null,"error":"unable to decode malformed json"}')
        if isinstance(request, list):
            return Reply(500, HTML, error_page(
                "call_user_func_array(): Argument #1 ($callback) must be a valid callback, "
                "second array member is not a valid method").encode())
        if not isinstance(request, dict):
            return Reply(200, JSON,
                         b'{"id":null,"result":null,"error":"unable to decode malformed json"}')
        request_id = request.get("id")
        method = request.get("method")
        try:
            result: Any = self.core.call(method, request.get("params"))
            error: Any = None
        except PhpError as exc:
            return Reply(500, HTML, error_page(str(exc)).encode())
        except PhpException as exc:
            result, error = None, str(exc)
        if _is_notification(request_id):
            return Reply(200, HTML, b"")
        if method in EXPORT_METHODS and isinstance(result, str):
            text = f'{{"id":{php_json(request_id)}, "result":{php_json(result)}, "error":null}}'
        else:
            text = php_json({"id": request_id, "result": result, "error": error})
        return Reply(200, JSON, text.encode())


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY a keep-alive client
    # waits ~40 ms (Nagle + delayed ACK) on every call.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("emulator http: " + format, *args)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.split("?")[0].rstrip("/") != RPC_PATH:
            self._send(Reply(404, HTML, b"404: page not found (LimeSurvey emulator)\n"))
            return
        self._send(self.server.endpoint.handle(self.headers.get("Content-Type", ""), body))

    def do_GET(self) -> None:
        self._send(Reply(200, HTML, f"<html><body>{BANNER}</body></html>\n".encode()))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    endpoint: RpcEndpoint


class EmulatorServer:
    """A running emulated LimeSurvey RemoteControl endpoint on a loopback port.

    Use as a context manager; ``.url`` is the RPC URL, ``.core`` the state (test knobs:
    ``core.outbox``, ``core.call_log``, ``expire_all_sessions()``, ``set_rpc_interface()``),
    ``fail_next(n, http_status)`` injects transient HTTP failures.
    """

    def __init__(
        self,
        username: str = "admin",
        password: str = "",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        session_ttl: int = 7200,
        clock: Clock | None = None,
        seed: int | None = None,
        fill_equations_from_token: bool = False,
    ) -> None:
        self.username = username
        self.password = password
        self.core = EmulatorCore(username, password, session_ttl=session_ttl, clock=clock,
                                 seed=seed, fill_equations_from_token=fill_equations_from_token)
        self.endpoint = RpcEndpoint(self.core)
        self._host = host
        self._port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------
    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        httpd = _Server((self._host, self._port), _Handler)
        httpd.endpoint = self.endpoint
        self._httpd = httpd
        self.core.base_url = self.base_url
        self._thread = threading.Thread(target=httpd.serve_forever, name="limesurvey-emulator",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        log.warning("%s: listening on %s", BANNER, self.url)
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        log.info("LimeSurvey emulator stopped")

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the emulator is not running; use it as a context manager")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}{RPC_PATH}"

    # --- test knobs ----------------------------------------------------------------
    def fail_next(self, n: int = 1, http_status: int = 503) -> None:
        self.endpoint.fail_next(n, http_status)

    def expire_all_sessions(self) -> None:
        with self.endpoint.lock:
            self.core.expire_all_sessions()

    def set_rpc_interface(self, mode: str) -> None:
        with self.endpoint.lock:
            self.core.set_rpc_interface(mode)

    @property
    def outbox(self) -> list[Any]:
        return self.core.outbox

    @property
    def call_log(self) -> list[str]:
        return self.core.call_log
