"""Record what a real LimeSurvey answers to the bridge's call shapes, for CI to replay.

    python tests/record_live.py tests/fixtures/limesurvey/live-6.14.jsonl

Talks to the server named by BIP_BRIDGE_TEST_LIMESURVEY_URL, _USER and _PASSWORD (it
never installs or configures one). It provisions the bridge's two surveys, makes the
calls whose answers the emulator or the client once got wrong (each a "step" with a
note saying what it shows), deletes the surveys again, and writes one JSON record per
HTTP exchange in the format of tests/fixtures/limesurvey/README.md: the session key,
the password and the URL are redacted, the import payload abbreviated. The request id
is pinned to 1, so the recorded bodies replay through citric unchanged.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import requests

#: LimeSurvey's web asset URL prefix (the tmp/assets folder under its web root), plain or
#: with JSON-escaped slashes
ASSETS_URL = re.compile(r"\\?/tmp\\?/assets\\?/")
ENV = ("BIP_BRIDGE_TEST_LIMESURVEY_URL", "BIP_BRIDGE_TEST_LIMESURVEY_USER",
       "BIP_BRIDGE_TEST_LIMESURVEY_PASSWORD")


class Recorder:
    """Hooks a LimeSurveyClient's HTTP session; every exchange inside ``step`` is kept."""

    def __init__(self, client: Any, url: str, password: str) -> None:
        self.client, self.url, self.password = client, url, password
        self.records: list[dict[str, Any]] = []
        self._step: tuple[str, str] | None = None
        self._count = 0
        self._started = 0.0
        self._keys: set[str] = set()
        client._http.hooks["response"].append(self._hook)
        self._orig = client._http.request
        client._http.request = self._timed

    def _timed(self, *args: Any, **kwargs: Any) -> Any:
        self._started = time.monotonic()
        return self._orig(*args, **kwargs)

    @contextmanager
    def step(self, name: str, note: str) -> Iterator[None]:
        self._step, self._count = (name, note), 0
        try:
            yield
        finally:
            self._step = None

    def _redact(self, text: str) -> tuple[str, list[str]]:
        done: list[str] = []
        session = getattr(self.client, "_session", None)
        keys = {getattr(session, "key", None)} | self._keys
        for key in filter(None, keys):
            if key in text:
                text = text.replace(key, "<session-key>")
                done.append("session-key")
        if self.password in text:
            text = text.replace(self.password, "<password>")
            done.append("password")
        base = f"{urlsplit(self.url).scheme}://{urlsplit(self.url).netloc}"
        for plain in (self.url, base, urlsplit(self.url).netloc):
            for form in (plain, plain.replace("/", "\\/")):
                if form in text:
                    label = {self.url: "{endpoint}", base: "{base_url}"}.get(plain, "{host}")
                    text = text.replace(form, label)
                    done.append(label.strip("{}"))
        # asset URLs under the server's web root (not a path on this machine), plain or
        # JSON-escaped
        text, hits = ASSETS_URL.subn("{assets}/", text)
        if hits:
            done.append("assets")
        return text, sorted(set(done))

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        body = json.loads(response.request.body or b"{}")
        method, params = body.get("method"), list(body.get("params") or [])
        if method == "get_session_key":
            with suppress(ValueError, KeyError, TypeError):
                self._keys.add(str(response.json()["result"]))
        if self._step is None:
            return
        name, note = self._step
        self._count += 1
        if method == "import_survey" and len(params) > 1:
            params[1] = "<base64 of the bridge's compiled .lss>"
        decoded = None
        if str(method).startswith("export_responses"):
            with suppress(ValueError, KeyError, TypeError, binascii.Error):
                result = response.json()["result"]
                if isinstance(result, str):
                    decoded = base64.b64decode(result).decode("utf-8")
        params_text, redacted = self._redact(json.dumps(params))
        text, redactions = self._redact(response.text)
        redactions = sorted(set(redactions) | set(redacted))
        self.records.append({
            "step": f"{name}.{self._count}" if self._count > 1 else name,
            "method": method, "params": json.loads(params_text),
            "http_status": response.status_code,
            "content_type": response.headers.get("Content-Type", ""),
            "response_text": text, "result_decoded": decoded, "note": note,
            "elapsed_s": round(time.monotonic() - self._started, 3),
            "request_id": body.get("id"), "redactions": redactions,
        })


def record(out: Path) -> None:
    import citric.session

    from bip_bridge.limesurvey import LimeSurveyClient
    from bip_bridge.provision import provision
    from bip_bridge.store import open_store
    from bip_bridge.templates import load_templates

    citric.session.random = SimpleNamespace(randint=lambda a, b: 1)  # type: ignore[attr-defined]
    url, user, password = (os.environ[v] for v in ENV)
    templates = load_templates()
    engine = open_store("sqlite://")
    with LimeSurveyClient(url, user, password, retries=0) as client:
        rec = Recorder(client, url, password)
        created: list[int] = []
        try:
            client.list_surveys()  # the login, unrecorded
            with rec.step("get_site_settings.versionnumber",
                          "The version string of the server recorded here."):
                client._call("get_site_settings", "versionnumber")
            with rec.step("get_site_settings.dbversionnumber",
                          "dbversionnumber is a JSON integer, not a string."):
                client._call("get_site_settings", "dbversionnumber")
            report = provision(client, engine, templates)
            created = [o.sid for o in report.outcomes if o.sid is not None]
            sids = {o.kind: int(o.sid) for o in report.outcomes if o.sid is not None}
            cw = sids["caseworker"]
            qid = next(int(q["qid"]) for q in client.list_questions(cw)
                       if q["title"] == "INS" and not int(q.get("parent_qid") or 0))
            with rec.step("get_question_properties.answeroptions_0_to_n",
                          "INS has answer codes 0, 1, 2: PHP's json_encode writes the array "
                          "keyed 0..n-1 as a JSON list, so the codes become list positions."):
                client._call("get_question_properties", qid, ["answeroptions"], "en")
            bipd = next(int(q["qid"]) for q in client.list_questions(cw)
                        if q["title"] == "BIPH" and not int(q.get("parent_qid") or 0))
            with rec.step("get_question_properties.answeroptions_1_to_n",
                          "BIPH has answer codes 1..10 and 99: not 0..n-1, so an object."):
                client._call("get_question_properties", bipd, ["answeroptions"], "en")
            with rec.step("delete_survey.missing",
                          "Deleting a survey that does not exist: 'No permission', not "
                          "'Invalid survey ID'."):
                client._call("delete_survey", 999991)
            p = sids["participant"]
            people = [{"firstname": f"Rec{i}", "lastname": "Live", "email":
                       f"rec{i}@example.org", "language": "sv", "token": f"rectoken{i}",
                       "attribute_1": f"PSEUDO{i}", "attribute_2": "0"} for i in range(3)]
            people.append({"firstname": "Rec3", "lastname": "Live", "email": "",
                           "language": "en", "token": "rectoken3",
                           "attribute_1": "PSEUDO3", "attribute_2": "0"})
            with rec.step("add_participants.with_and_without_email",
                          "Three participants with an e-mail address, one with an empty "
                          "one: all are created (tid as a string)."):
                added = client._call("add_participants", p, people, False)
            tids = [int(r["tid"]) for r in added]
            with rec.step("invite_participants.one_of_four",
                          "Inviting tid 1 of 4 (3 with an address): the status counts "
                          "every other eligible participant of the survey, not 0."):
                client._call("invite_participants", p, [tids[0]])
            with rec.step("invite_participants.no_email",
                          "Inviting only the participant without an e-mail address: "
                          "nothing is sent."):
                client._call("invite_participants", p, [tids[3]])
            with rec.step("remind_participants.one",
                          "Reminding the invited participant (no minimum days, no maximum)."):
                client._call("remind_participants", p, None, None, [tids[0]])
            with rec.step("list_participants.sent_remindercount",
                          "sent and remindersent are 'YYYY-MM-DD HH:MM' or 'N'; "
                          "remindercount is an integer; the empty e-mail is ''."):
                client._call("list_participants", p, 0, 10, False,
                             ["sent", "remindersent", "remindercount", "completed",
                              "attribute_1"], None)
            with rec.step("list_participants.null_conditions",
                          "An explicit null for the conditions: PHP 8 fails on count(null) "
                          "(HTTP 500). The client drops trailing nulls, so LimeSurvey uses "
                          "its default (no conditions)."), suppress(Exception):
                assert client._session is not None
                client._session.call("list_participants", p, 0, 10, False, ["sent"], None)
            columns = {str(e.get("title")): c for c, e in client.get_fieldmap(p).items()
                       if e.get("title") in ("PSEUDO", "WAVE") and not e.get("aid")}
            with rec.step("add_response.incomplete",
                          "submitdate null: an incomplete response."):
                rid = client._call("add_response", p, {
                    "token": "rectoken1", columns["PSEUDO"]: "PSEUDO1",
                    columns["WAVE"]: "0", "submitdate": None})
            with rec.step("add_response.complete",
                          "No submitdate key: the server sets it to now (complete)."):
                client._call("add_response", p, {
                    "token": "rectoken0", columns["PSEUDO"]: "PSEUDO0",
                    columns["WAVE"]: "0"})
            with rec.step("export_responses.json_code",
                          "The sync's export: JSON, code headings, all responses, by id "
                          "range. Each response is a plain row (5.6.8 as 6.14.0, not "
                          "wrapped in an object keyed by its id)."):
                client._call("export_responses", p, "json", None, "all", "code", "short",
                             1, 10, None)
            with rec.step("export_responses_by_token.list",
                          "Tokens given as a list: 6.14.0 exports that token's response; "
                          "5.6.8 (whose parameter is one token string) silently exports "
                          "none."):
                client._call("export_responses_by_token", p, "json", ["rectoken0"])
            with rec.step("update_response.edit_not_allowed",
                          "The bridge's surveys have alloweditaftercompletion=N: then "
                          "update_response is refused for every response, incomplete "
                          "ones included."):
                client._call("update_response", p, {"id": int(rid),
                                                     "submitdate": "2026-11-30 10:00:00"})
        finally:
            for sid in created:
                client.delete_survey(sid)
    engine.dispose()
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rec.records),
                   encoding="utf-8")
    print(f"{len(rec.records)} records -> {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not all(os.environ.get(v) for v in ENV):
        sys.exit(__doc__)
    record(Path(sys.argv[1]))
