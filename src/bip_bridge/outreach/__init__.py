"""What bip-bridge itself sends or prints for people (docs/waves.md, docs/reports.md):

* :mod:`.digest` — one e-mail per caseworker per run listing every assessment due;
* :mod:`.letters` — printable invitations with a QR code, and per caseworker a meeting
  sheet, for participants without e-mail;
* :mod:`.status` — where things stand (waves, caseworkers, last sync, next dates);
* :mod:`.links` — a token's personal survey link; :mod:`.texts` — every text, sv/da/en.

Names and addresses are read from LimeSurvey when a message or letter is made and never
written to the store; the store records only what was delivered (``deliveries``).
"""
