"""The provisioning plan as a pure function: before -> after, no LimeSurvey, no store."""

from __future__ import annotations

from bip_bridge.provision import (
    ADOPT,
    CONFLICT,
    CREATE,
    KEEP,
    MISSING,
    Plan,
    RecordedSurvey,
    ServerSurvey,
    Step,
    Wanted,
    plan_provision,
)

P = Wanted("participant", "2", "hash-p2", "Hur går det för dig?")
C = Wanted("caseworker", "2", "hash-c2", "Handledarens bedömning")


def test_empty_store_and_server_create_both() -> None:
    result = plan_provision([P, C], [], [])
    expected = Plan((Step("participant", CREATE, "2"), Step("caseworker", CREATE, "2")))
    assert result == expected
    assert result.changes


def test_provisioned_surveys_are_kept_and_nothing_changes() -> None:
    recorded = [RecordedSurvey(111111, "participant", "2", "hash-p2"),
                RecordedSurvey(222222, "caseworker", "2", "hash-c2")]
    server = [ServerSurvey(111111, "Hur går det för dig?", True),
              ServerSurvey(222222, "Handledarens bedömning", True)]
    result = plan_provision([P, C], recorded, server)
    expected = Plan((Step("participant", KEEP, "2", 111111),
                     Step("caseworker", KEEP, "2", 222222)))
    assert result == expected
    assert not result.changes


def test_new_template_version_creates_and_retires_the_older_survey() -> None:
    recorded = [RecordedSurvey(111111, "participant", "1", "hash-p1", active=True),
                RecordedSurvey(100000, "participant", "0", "hash-p0", active=False),
                RecordedSurvey(222222, "caseworker", "1", "hash-c1", active=True)]
    server = [ServerSurvey(111111, "Hur går det för dig?", True),
              ServerSurvey(100000, "Hur går det för dig?", True),
              ServerSurvey(222222, "Handledarens bedömning", True)]
    result = plan_provision([P, C], recorded, server)
    expected = Plan((Step("participant", CREATE, "2", retire=(111111,)),
                     Step("caseworker", CREATE, "2", retire=(222222,))))
    assert result == expected


def test_a_recorded_survey_deleted_in_limesurvey_is_missing() -> None:
    recorded = [RecordedSurvey(111111, "participant", "2", "hash-p2")]
    result = plan_provision([P], recorded, [])
    assert result == Plan((Step("participant", MISSING, "2", 111111),))


def test_same_version_with_another_structure_is_a_conflict() -> None:
    recorded = [RecordedSurvey(111111, "participant", "2", "hash-OLD")]
    server = [ServerSurvey(111111, "Hur går det för dig?", True)]
    (step,) = plan_provision([P], recorded, server).steps
    assert (step.action, step.sid) == (CONFLICT, 111111)


def test_half_created_survey_is_kept_and_an_unrecorded_twin_is_warned_about() -> None:
    recorded = [RecordedSurvey(111111, "participant", "2", "hash-p2")]
    server = [ServerSurvey(111111, "Hur går det för dig?", True),
              ServerSurvey(333333, "Handledarens bedömning", False)]
    result = plan_provision([P, C], recorded, server)
    assert [s.action for s in result.steps] == [KEEP, CREATE]
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("LimeSurvey survey 333333 has the caseworker "
                                         "questionnaire's title but is not recorded")


def test_a_configured_hand_import_is_adopted() -> None:
    hand = Wanted("participant", "2", "hash-p2", "Hur går det för dig?", adopt_sid=444444)
    server = [ServerSurvey(444444, "Hur går det för dig?", False)]
    assert plan_provision([hand], [], server) == Plan((Step("participant", ADOPT, "2", 444444),))
    assert plan_provision([hand], [], []).steps[0].action == MISSING


def test_inactive_kept_survey_is_noted() -> None:
    recorded = [RecordedSurvey(111111, "participant", "2", "hash-p2")]
    server = [ServerSurvey(111111, "Hur går det för dig?", False)]
    (step,) = plan_provision([P], recorded, server).steps
    assert (step.action, step.note) == (KEEP, "not active in LimeSurvey")
