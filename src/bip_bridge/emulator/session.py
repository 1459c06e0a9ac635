"""The EMULATOR's session methods: login with LimeSurvey's lock-out, logout, site settings.

Tests and the demo only, never production.
"""

from __future__ import annotations

import secrets
import string
from datetime import timedelta
from typing import Any

from bip_bridge.emulator.base import EmulatorBase, Result, Session, status

SESSION_KEY_ALPHABET = string.ascii_letters + string.digits + "_~"
MAX_LOGIN_ATTEMPTS = 3
LOCKOUT_SECONDS = 600
LOCKED_OUT_MESSAGE = (
    "You have exceeded the number of maximum login attempts. "
    "Please wait 10 minutes before trying again."
)


class SessionMethods(EmulatorBase):
    def get_session_key(self, username: Any, password: Any, plugin: Any = "Authdb") -> Result:
        now = self._now()
        window = now - timedelta(seconds=LOCKOUT_SECONDS)
        self._failed_logins = [t for t in self._failed_logins if t > window]
        if len(self._failed_logins) >= MAX_LOGIN_ATTEMPTS:
            return status(LOCKED_OUT_MESSAGE)
        if str(username) != self.username or str(password) != self._password:
            self._failed_logins.append(now)
            return status("Invalid user name or password")
        key = "".join(secrets.choice(SESSION_KEY_ALPHABET) for _ in range(32))
        self._sessions[key] = Session(self.username, now + timedelta(seconds=self.session_ttl))
        return key

    def release_session_key(self, sSessionKey: Any) -> Result:
        if isinstance(sSessionKey, str):
            self._sessions.pop(sSessionKey, None)
        return "OK"

    def get_site_settings(self, sSessionKey: Any, sSetttingName: Any) -> Result:
        settings = {"RPCInterface": self.rpc_interface, "versionnumber": "6.14.0",
                    "dbversionnumber": 630, "defaultlang": "en", "sitename": "LimeSurvey",
                    "maxemails": self.maxemails}
        if sSetttingName in settings:
            return settings[sSetttingName]
        return status("Invalid setting")
