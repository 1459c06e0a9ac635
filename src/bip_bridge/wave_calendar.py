"""The wave calendar: pure date arithmetic (docs/waves.md).

Wave k is due at enrolment + k x interval calendar months, counted from the enrolment
date each time, so the 31st gives the 30th, 28th or 29th in shorter months without
drifting.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta


def due_date(enrolled_on: date, wave: int, interval_months: int = 3) -> date:
    """The day wave ``wave`` is due: enrolment + wave x interval calendar months.

    Counted from the enrolment date each time (not from the previous wave), so an
    enrolment on 31 January gives 30 April, 31 July, 31 October, 31 January.
    """
    return enrolled_on + relativedelta(months=wave * interval_months)


def current_wave(enrolled_on: date, today: date, interval_months: int = 3) -> int:
    """The latest wave due on or before ``today`` (-1 before the enrolment date)."""
    if today < enrolled_on:
        return -1
    months = (today.year - enrolled_on.year) * 12 + today.month - enrolled_on.month
    k = months // interval_months + 1
    while due_date(enrolled_on, k, interval_months) > today:
        k -= 1
    return k
