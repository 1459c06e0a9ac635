"""A token's personal survey link, built from the RemoteControl URL in ``[limesurvey] url``.

LimeSurvey serves RemoteControl and the surveys from the same application, so
``https://HOST/PATH/index.php/admin/remotecontrol`` gives
``https://HOST/PATH/index.php/SID?token=TOKEN&lang=LANG`` (path-style URLs, the default),
``...index.php?r=admin/remotecontrol`` gives ``...index.php?r=survey/index&sid=SID&...``
(get-style URLs) and ``.../admin/remotecontrol`` without ``index.php`` gives ``.../SID?...``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit


def survey_url(rpc_url: str, sid: int, token: str, language: str) -> str:
    """The link that opens survey ``sid`` for ``token`` in ``language``."""
    parts = urlsplit(rpc_url)
    query = parse_qs(parts.query)
    if query.get("r", [""])[0].strip("/") == "admin/remotecontrol":
        q = urlencode({"r": "survey/index", "sid": sid, "token": token, "lang": language})
        return urlunsplit((parts.scheme, parts.netloc, parts.path, q, ""))
    path = parts.path.rstrip("/")
    if "/index.php" in path:
        base = path[: path.index("/index.php") + len("/index.php")]
    elif path.endswith("/admin/remotecontrol"):
        base = path[: -len("/admin/remotecontrol")]
    else:
        base = path
    q = urlencode({"token": token, "lang": language})
    return urlunsplit((parts.scheme, parts.netloc, f"{base}/{sid}", q, ""))
