"""`bip-bridge participants`: import a roster, end, forget and list participants."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from bip_bridge.cli.context import AppContext, pass_app

ID_HELP = ("The person's external id as in the roster (any written form of a "
           "personnummer); it is pseudonymised with the key, never stored.")


@click.group("participants")
def command() -> None:
    """Enrol participants from a roster, end their measurement, erase them, list them.

    The store knows people only by pseudonym (HMAC-SHA256 of the external id with the
    key in BIP_BRIDGE_PSEUDONYM_KEY); names and e-mail addresses go only to LimeSurvey's
    participant table. See docs/participants.md and docs/privacy.md.
    """


@command.command("import")
@click.argument("roster", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="Validate the file and print what would change; write nothing and do not "
              "connect to LimeSurvey.")
@click.option("--re-enrol", "re_enrol", multiple=True, metavar="ID",
              help="Enrol this person again although they were erased with `participants "
              "forget` (only after they gave consent again). Repeat for several people; each "
              "must be on the roster.")
@pass_app
def import_(app: AppContext, roster: Path, dry_run: bool, re_enrol: tuple[str, ...]) -> None:
    """Enrol the people in ROSTER (a CSV file).

    Header: external_id,first_name,email,language,enrolled_on,caseworker_id,
    caseworker_email (any order; email may be empty: LimeSurvey does not mail those
    people, `letters` prints their invitations). UTF-8 with or without BOM; comma or
    semicolon (as Swedish Excel writes it) is detected. language is sv, da or en; enrolled_on an ISO
    date (YYYY-MM-DD), not in the future; caseworker_id a code with at least one digit
    (e.g. HL-017), never a name; a personnummer must have a valid check digit.

    The whole file is validated first: any bad row rejects the import with every
    problem listed by line, and nothing is written (exit code 65). New people get a
    store row (pseudonym, language, enrolment date, caseworker code) and their current
    wave's tokens in both surveys, which carry first name and e-mail into LimeSurvey;
    run `bip-bridge waves` (or `sync`) to send the invitations. Re-importing the same
    roster changes nothing; a changed caseworker applies from the next wave and a
    changed e-mail address is written into LimeSurvey at once. Exit codes: 0 done;
    65 invalid roster or an enrolment date that differs from the stored one; 66 file
    not found or no active surveys; 75 another changing command holds the lock; 78 no
    pseudonym key. A person erased with `participants forget` is refused (65) unless
    named with --re-enrol. If LimeSurvey cannot be reached nothing is written; if it
    stops answering half-way, the people without tokens are taken out of the store
    again and the message says who is enrolled (69; run the import again).
    """
    from bip_bridge.locking import mutation_lock
    from bip_bridge.participants import import_roster
    from bip_bridge.pseudonyms import pseudonymise, resolve_pseudonym
    from bip_bridge.roster import read_roster
    from bip_bridge.store import open_store

    settings = app.settings
    today = date.today()
    rows = read_roster(roster, today=today)
    key = settings.require_pseudonym_key()
    again: set[str] = set()
    on_roster = {pseudonymise(r.external_id, key, today=today) for r in rows}
    for given in re_enrol:
        p = resolve_pseudonym(None, settings, external_id=given, pseudonym=None, today=today)
        if p not in on_roster:
            raise click.UsageError(f"--re-enrol names someone who is not on {roster.name}.")
        again.add(p)
    engine = open_store(settings.store.url)
    try:
        if dry_run:
            report = import_roster(None, engine, settings, None, rows, today=today,
                                   dry_run=True, source=roster.name, re_enrol=again)
            for line in report.lines:
                app.echo(line)
            app.echo(f"{roster.name}: {len(rows)} valid row(s). Nothing was changed.")
            return
        from bip_bridge.limesurvey import connect
        from bip_bridge.templates import load_templates

        templates = load_templates(settings.surveys.template_dir)
        with mutation_lock(settings, command="participants import"), connect(settings) as api:
            report = import_roster(api, engine, settings, templates, rows, today=today,
                                   source=roster.name, re_enrol=again)
    finally:
        engine.dispose()
    app.echo(f"{roster.name}: {report.new} enrolled, {report.caseworker_changes} caseworker "
             f"change(s), {report.unchanged} unchanged; {report.tokens_created} token(s) "
             f"created, {report.contacts_updated} contact(s) updated in LimeSurvey.")
    if report.without_email:
        app.echo(f"{report.without_email} enrolled without an e-mail address: LimeSurvey will "
                 "not mail them; print their invitations with `bip-bridge letters`.")


def _who(external_id: str | None, pseudonym: str | None) -> tuple[str | None, str | None]:
    if (external_id is None) == (pseudonym is None):
        raise click.UsageError("Give either ID or --pseudonym P (exactly one).")
    return external_id, pseudonym


@command.command("end")
@click.argument("external_id", metavar="ID", required=False)
@click.option("--pseudonym", help="Name the person by pseudonym instead of ID "
              "(as `participants list` shows it).")
@click.option("--reason", type=click.Choice(["work", "studies", "other"]), required=True,
              help="Why the measurement ends: work, studies or other.")
@pass_app
def end(app: AppContext, external_id: str | None, pseudonym: str | None, reason: str) -> None:
    """Stop further waves for one participant (ID: their external id).

    Records today as the end date and the reason in the store. Tokens already sent stay
    valid; a later wave's caseworker token created in advance is withdrawn by the next
    `waves` run. Running it again changes nothing. Exit codes: 0 done; 66 nobody with
    that id or pseudonym is enrolled; 75 another changing command holds the lock; 78 no
    pseudonym key (with ID).
    """
    from bip_bridge.locking import mutation_lock
    from bip_bridge.participants import end_participant
    from bip_bridge.pseudonyms import resolve_pseudonym
    from bip_bridge.store import open_store

    external_id, pseudonym = _who(external_id, pseudonym)
    settings = app.settings
    engine = open_store(settings.store.url)
    try:
        p = resolve_pseudonym(engine, settings, external_id=external_id, pseudonym=pseudonym)
        with mutation_lock(settings, command="participants end"):
            changed = end_participant(engine, p, reason, today=date.today())
    finally:
        engine.dispose()
    app.echo(f"Participant {p[:12]}… ended ({reason}); no further waves."
             if changed else f"Participant {p[:12]}… had already ended; nothing changed.")


@command.command("forget")
@click.argument("external_id", metavar="ID", required=False)
@click.option("--pseudonym", help="Name the person by pseudonym instead of ID.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def forget(app: AppContext, external_id: str | None, pseudonym: str | None, yes: bool) -> None:
    """Erase one person everywhere (a request for erasure). Cannot be undone.

    Deletes, in every survey bip-bridge knows, the person's responses and tokens in
    LimeSurvey, then every store row about them (participant, caseworker history,
    tokens, stored responses, push-back state), and logs in the store's erasure_log
    that an erasure happened (counts and time only, no pseudonym or id). Responses are
    found by the person's tokens and by the pseudonym column (also ones entered by hand
    or never synced), in both surveys. The store keeps a keyed mark (HMAC, nothing
    readable) so that `participants import` refuses the person unless --re-enrol is
    given and `sync` never brings their responses back. Lists the report and letter
    folders that still hold files about the person. The ID is checked as in a roster
    (a personnummer's check digit): a wrong one is refused (65). If it is cut
    off, run it again: it completes the erasure. Exit codes: 0 erased (or nothing was
    left); 65 an ID that cannot be right (check digit); 75 another changing command
    holds the lock; 78 no pseudonym key; 69/76/77 LimeSurvey unreachable, refusing or
    wrong credentials.
    """
    from bip_bridge.erasure import (
        folders_holding,
        forget_participant,
        letter_locations,
        person_tokens,
    )
    from bip_bridge.limesurvey import connect
    from bip_bridge.locking import mutation_lock
    from bip_bridge.pseudonyms import resolve_pseudonym
    from bip_bridge.store import open_store
    from bip_bridge.templates import load_templates

    external_id, pseudonym = _who(external_id, pseudonym)
    settings = app.settings
    engine = open_store(settings.store.url)
    try:
        p = resolve_pseudonym(engine, settings, external_id=external_id, pseudonym=pseudonym)
        if not yes:
            click.confirm(f"Erase participant {p[:12]}… in LimeSurvey and the store?",
                          abort=True)
        templates = load_templates(settings.surveys.template_dir)
        with mutation_lock(settings, command="participants forget"), connect(settings) as api:
            letters = letter_locations(engine, p)
            tokens = person_tokens(engine, p)
            report = forget_participant(api, engine, settings, p, templates=templates)
    finally:
        engine.dispose()
    for line in report.lines():
        app.echo(line)
    if report.anything:
        app.echo(f"Erased: {report.responses_removed} response(s) and {report.tokens_removed} "
                 f"token(s) in LimeSurvey, {report.store_rows_removed} store row(s). "
                 "Import and sync will not bring this person back.")
    elif report.already_marked:
        app.echo("This person was already erased; nothing about them was left.")
    else:
        app.echo("Nothing about this person was left to erase: no store row and no token or "
                 "response in LimeSurvey. Recorded as erased, so import and sync will not "
                 "bring them in. If you expected someone, check the id (and that "
                 "BIP_BRIDGE_PSEUDONYM_KEY is the key used at import).")
    out_dir = Path(settings.reports.out_dir).resolve()
    elsewhere = {path.parent for path in letters  # letters written with --out elsewhere
                 if not path.resolve().is_relative_to(out_dir)}
    roots = [settings.reports.out_dir, *sorted(elsewhere)]
    folders = folders_holding(p, roots, tokens)
    if folders:
        click.echo("These folders still hold files about this person (written before the "
                   "erasure); delete them, or the files in them about this person:", err=True)
        for folder in folders:
            click.echo(f"  {folder}", err=True)


@command.command("list")
@pass_app
def list_(app: AppContext) -> None:
    """List enrolled participants: pseudonym, language, enrolment and end dates,
    current caseworker code, current wave and its token state.

    Reads the store only; shows no name, e-mail or external id (the store has none).
    Exit codes: 0 listed; 66 no store yet (nothing is created); 73 the store's folder
    does not exist.
    """
    from rich.console import Console
    from rich.table import Table

    from bip_bridge.cohort import load_state
    from bip_bridge.store import open_store
    from bip_bridge.wave_calendar import current_wave

    settings = app.settings
    engine = open_store(settings.store.url, create=False)  # reads only: creates nothing
    try:
        with engine.connect() as conn:
            state = load_state(conn)
    finally:
        engine.dispose()
    today = date.today()
    table = Table("pseudonym", "lang", "enrolled", "ended", "caseworker", "wave",
                  "participant", "caseworker token")
    for p, person in sorted(state.participants.items(), key=lambda kv: kv[1].enrolled_on):
        k = current_wave(person.enrolled_on, today, settings.waves.interval_months)
        cells = []
        for kind in ("participant", "caseworker"):
            tok = state.tokens.get((kind, p, k))
            cells.append("-" if tok is None else "completed" if tok.completed else
                         f"reminded ×{tok.reminders_sent}" if tok.reminders_sent else
                         "invited" if tok.invited_on else "created")
        ended = f"{person.ended_on} ({person.end_reason})" if person.ended_on else ""
        table.add_row(p, person.language, str(person.enrolled_on), ended,
                      person.caseworker_at(k) or "", str(k), *cells)
    if not app.quiet:
        Console(width=200).print(table)
        click.echo(f"{len(state.participants)} participant(s).")


@command.command("card")
@click.argument("external_id", metavar="ID", required=False)
@click.option("--pseudonym", help="Name the person by pseudonym instead of ID.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Report folder to look in (a dated folder written by "
              "`bip-bridge report`). Default: the newest one in [reports] out_dir.")
@click.option("--index", "show_index", is_flag=True,
              help="Print the path of the caseworker's index page that lists this card.")
@pass_app
def card(app: AppContext, external_id: str | None, pseudonym: str | None,
         report_dir: Path | None, show_index: bool) -> None:
    """Print the path of one participant's progression card (ID: their external id).

    Looks in the newest report folder (cards/<caseworker id>/<pseudonym[:12]>.html);
    open the file in a browser and print it (one A4 page). Each caseworker's folder also
    has an index.html listing their participants by first name. Reads no store row and
    contacts no server. Exit codes: 0 found; 66 no report folder or no card for this
    person; 78 no pseudonym key (with ID).
    """
    from bip_bridge.pseudonyms import pseudonymise
    from bip_bridge.reports.cards import INDEX_NAME, locate_card

    external_id, pseudonym = _who(external_id, pseudonym)
    settings = app.settings
    p = (pseudonym.strip() if pseudonym is not None
         else pseudonymise(str(external_id), settings.require_pseudonym_key(), today=date.today()))
    path = locate_card(settings.reports.out_dir, p, report_dir=report_dir,
                       who=None if external_id is None else str(external_id))
    click.echo(str(path.parent / INDEX_NAME if show_index else path))
