"""Playbooks run end to end on both stores with a driven clock (no sleeping): alert
intake queues runs in its own transaction, the steps change the case and record each
result on it, a webhook is called on a real server on 127.0.0.1, a failing one is
retried with back-off and ends failed, never dropped; SLA breaches and opened cases
start their playbooks once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ops.conftest import World
from ops.playbookwork import (
    allow,
    case_events,
    hook_server,
    send_alert,
    write_playbook,
)
from watchkeeper.cases.alerts import IntakeResult
from watchkeeper.store.models import (
    Alert,
    CaseTask,
    PlaybookRun,
    Suppression,
    WatchlistEntry,
)

ESCALATE = """\
id: escalate-exfil
title: Escalate EU exfiltration
trigger:
  on: alert
  severity_at_least: high
  rules: ["insider.exfil.*"]
conditions:
  - field: region
    in: [eu]
steps:
  - group: {{window: 7d}}
  - set: {{severity: critical, priority: high}}
  - assign: {{team: soc-eu, assignee: lena}}
  - task: {{title: "Ask HR for the exit date"}}
  - name: tell the SOC chat
    webhook: {{url: "{url}cases"}}
    retries: {retries}
"""


def runs(world: World) -> int:
    with world.ws.state.session() as s:
        return s.scalar(select(func.count()).select_from(PlaybookRun)) or 0


def test_an_alert_runs_its_playbook_and_every_step_is_recorded_on_the_case(
        world: World) -> None:
    with hook_server() as hook:
        allow(world, hook.url)
        write_playbook(world, "escalate", ESCALATE.format(url=hook.url, retries=2))
        alert = send_alert(world, "a-1")
        send_alert(world, "a-low", severity=2)           # below the trigger's severity
        send_alert(world, "a-us", region="us")           # fails the condition
        send_alert(world, "a-1")                         # the same alert again: no run
        assert runs(world) == 1
        done = world.ws.playbooks_run_due()
        assert (done.attempted, done.succeeded, done.failed, done.runs_finished) == \
            (5, 5, 0, 1)
        [run] = world.ws.playbook_runs()
        assert run.status == "succeeded" and run.alert_id == alert
        assert [s.status for s in run.steps] == ["succeeded"] * 5
        case = run.case_id
        assert case is not None
        view = world.ws.case_sla(world.viewer("lena"), case)  # lena may open it
        assert view.case_id == case
        shown = world.ws.case_show(world.viewer("lena"), case)
        assert (shown.case.severity, shown.case.priority) == (5, "high")
        assert (shown.case.team, shown.case.assignee) == ("soc-eu", "lena")
        history = [(e.actor, e.action) for e in shown.events]
        assert ("watchkeeper:playbook:escalate-exfil", "playbook.run") in history
        assert ("watchkeeper:playbook:escalate-exfil", "case.update") in history
        with world.ws.state.session() as s:
            assert s.scalar(select(CaseTask.title).where(CaseTask.case_id == case)) == \
                "Ask HR for the exit date"
            assert s.get_one(Alert, alert).case_id == case
        assert [e.action for e in case_events(world, case)] == \
            ["playbook.step"] * 5 + ["playbook.run"]
        assert case_events(world, case)[-1].after == {
            "playbook": "escalate-exfil", "run": run.id, "status": "succeeded"}
        [posted] = hook.posted
        assert posted["playbook"] == "escalate-exfil" and posted["case"] == case
        assert posted["person"].startswith("P-")     # a pseudonym, never the user id
        assert hook.headers[0]["X-Watchkeeper-Playbook"] == "escalate-exfil"
        assert world.ws.playbooks_run_due().attempted == 0


def test_a_failing_webhook_is_retried_with_back_off_then_succeeds(world: World) -> None:
    with hook_server() as hook:
        allow(world, hook.url, retry_base=timedelta(seconds=30))
        write_playbook(world, "escalate", ESCALATE.format(url=hook.url, retries=3))
        hook.answers = [500, 503]
        send_alert(world, "b-1")
        first = world.ws.playbooks_run_due()
        assert (first.succeeded, first.retrying) == (4, 1)
        [run] = world.ws.playbook_runs()
        step = run.steps[-1]
        assert (run.status, step.status, step.attempts) == ("running", "retrying", 1)
        assert step.last_error is not None and "HTTP 500" in step.last_error
        assert step.next_attempt == world.clock.now() + timedelta(seconds=30)
        assert world.ws.playbooks_run_due().attempted == 0       # not due yet
        world.clock.advance(timedelta(seconds=30))
        assert world.ws.playbooks_run_due().retrying == 1         # 503: wait 60 s now
        [run] = world.ws.playbook_runs()
        assert run.steps[-1].next_attempt == world.clock.now() + timedelta(seconds=60)
        world.clock.advance(timedelta(seconds=59))
        assert world.ws.playbooks_run_due().attempted == 0
        world.clock.advance(timedelta(seconds=1))
        assert world.ws.playbooks_run_due().succeeded == 1
        [run] = world.ws.playbook_runs()
        assert (run.status, run.steps[-1].attempts) == ("succeeded", 3)
        assert len(hook.posted) == 3


def test_a_step_out_of_retries_is_failed_with_its_error_and_the_rest_skipped(
        world: World) -> None:
    with hook_server() as hook:
        allow(world, hook.url, retry_base=timedelta(minutes=1))
        write_playbook(world, "escalate", ESCALATE.format(url=hook.url, retries=1) +
                       "  - task: {title: after the webhook}\n")
        hook.answers = [500, 500]
        send_alert(world, "c-1")
        world.ws.playbooks_run_due()
        world.clock.advance(timedelta(minutes=1))
        assert world.ws.playbooks_run_due().failed == 1
        [run] = world.ws.playbook_runs()
        assert run.status == "failed"
        assert [s.status for s in run.steps] == ["succeeded"] * 4 + ["failed", "skipped"]
        failed = run.steps[4]
        assert failed.attempts == 2 and failed.next_attempt is None
        assert failed.last_error is not None and "HTTP 500" in failed.last_error
        assert run.steps[5].last_error == "step 4 (tell the SOC chat) failed"
        assert run.case_id is not None
        recorded = case_events(world, run.case_id)
        assert recorded[-2].after is not None and recorded[-2].after["status"] == "failed"
        assert recorded[-1].after is not None and recorded[-1].after["status"] == "failed"
        world.clock.advance(timedelta(days=1))
        assert world.ws.playbooks_run_due().attempted == 0   # failed stays failed
        assert world.ws.playbook_runs(status="failed")[0].id == run.id


def test_a_url_off_the_allow_list_is_never_called(world: World) -> None:
    with hook_server() as hook:
        allow(world, "https://hooks.example.com/soc/")
        write_playbook(world, "escalate", ESCALATE.format(url=hook.url, retries=0))
        send_alert(world, "d-1")
        world.ws.playbooks_run_due()
        [run] = world.ws.playbook_runs()
        assert run.steps[-1].status == "failed" and hook.posted == []
        assert run.steps[-1].last_error is not None
        assert "not on [playbooks] webhook_allow" in run.steps[-1].last_error
        listing = world.ws.playbooks_list()
        assert any("webhook_allow" in w for w in listing.warnings)


def test_suppress_step_quiets_the_next_alert_like_it(world: World) -> None:
    write_playbook(world, "quiet", """\
id: quiet
title: Quiet low ones
trigger: {on: alert, rules: [insider.behavior.*]}
steps:
  - suppress: {for: 7d, match: [rule, person], reason: reviewed weekly}
""")
    rule = "insider.behavior.first_after_hours_logon"
    send_alert(world, "e-1", severity=2, rule=rule)
    assert world.ws.playbooks_run_due().succeeded == 1
    with world.ws.state.session() as s:
        row = s.scalars(select(Suppression)).one()
        assert row.match == {"rule": rule, "subject": "ACM2278"}
        assert row.expires_at == world.clock.now() + timedelta(days=7)
    second = send_alert(world, "e-2", severity=2, rule=rule)
    with world.ws.state.session() as s:
        assert s.get_one(Alert, second).suppressed_by == row.id
    assert runs(world) == 1          # a suppressed alert starts nothing


def test_sla_breach_and_case_opened_start_their_playbooks_once(world: World) -> None:
    write_playbook(world, "breach", """\
id: breach
title: Missed acknowledge
trigger: {on: sla-breach, severity_at_least: high, sla: [acknowledge]}
steps:
  - task: {title: Acknowledge now}
""")
    write_playbook(world, "watched", """\
id: watched
title: A watched person's case
trigger: {on: case, watchlists: [insider-watch]}
steps:
  - set: {priority: critical}
""")
    with world.ws.state.session() as s:
        s.add(WatchlistEntry(person="ACM2278", watchlist="insider-watch", origin="analyst",
                             added_by="lena", reason="test", since=world.clock.now().date(),
                             until=None, created_at=world.clock.now()))
    world.ws.sla_policy_set("high", "1h", "8h", "wall")
    case = world.case("eu").id
    world.clock.advance(timedelta(hours=2))
    world.ws.sla_tick()
    world.ws.sla_tick()                                  # the same breach: no second run
    assert sorted(r.playbook for r in world.ws.playbook_runs(case_id=case)) == \
        ["breach", "watched"]
    assert world.ws.playbooks_run_due().succeeded == 2
    shown = world.ws.case_show(world.viewer("lena"), case)
    assert shown.case.priority == "critical"
    with world.ws.state.session() as s:
        assert s.scalar(select(CaseTask.title).where(CaseTask.case_id == case)) == \
            "Acknowledge now"



def test_the_scheduler_job_runs_the_steps_due(world: World) -> None:
    write_playbook(world, "quiet", """\
id: quiet
title: Quiet low ones
trigger: {on: alert, rules: [insider.behavior.*]}
steps:
  - suppress: {for: 1d, match: [rule], reason: reviewed weekly}
""")
    send_alert(world, "f-1", severity=2, rule="insider.behavior.first_after_hours_logon")
    [job] = world.ws.scheduler_run_once(["playbooks"], world.clock)
    assert job.summary == "1 step(s) run: 1 done, 0 to retry, 0 failed; 1 run(s) finished"
    assert world.ws.playbook_runs()[0].status == "succeeded"


def test_a_queued_run_keeps_its_steps_and_a_grouped_case_starts_case_playbooks(
        world: World) -> None:
    world.ws.PLAYBOOKS_RECHECK = 0.0          # look at the files on every batch
    write_playbook(world, "open", """\
id: open
title: Open a case
trigger: {on: alert}
steps:
  - group: {title: From a playbook}
""")
    write_playbook(world, "opened", """\
id: opened
title: Any case opened
trigger: {on: case}
steps:
  - task: {title: first version}
""")
    send_alert(world, "g-1")
    assert world.ws.playbooks_run_due().succeeded == 1         # the group step
    write_playbook(world, "opened", """\
id: opened
title: Any case opened
trigger: {on: case}
steps:
  - task: {title: second version}
""")
    assert world.ws.playbooks_run_due().succeeded == 1         # the case playbook
    runs = {r.playbook: r for r in world.ws.playbook_runs()}
    case = runs["open"].case_id
    assert case is not None and runs["opened"].case_id == case
    assert runs["opened"].version != world.ws.playbooks_list().playbooks[1].version
    with world.ws.state.session() as s:
        assert s.scalar(select(CaseTask.title).where(CaseTask.case_id == case)) == \
            "first version"


def test_data_residency_still_applies_to_a_playbook_assignment(world: World) -> None:
    write_playbook(world, "move", """\
id: move
title: Move EU cases to the US team
trigger: {on: case}
steps:
  - assign: {team: soc-us}
    retries: 0
""")
    case = world.case("eu").id
    assert world.ws.playbooks_run_due().failed == 1
    [run] = world.ws.playbook_runs(case_id=case)
    assert run.status == "failed" and run.steps[0].last_error is not None
    assert "soc-us" in run.steps[0].last_error and "region eu" in run.steps[0].last_error
    assert world.ws.case_show(world.viewer("lena"), case).case.team == "soc-eu"


def test_an_intake_without_the_batch_at_hand_reads_the_alerts_back(world: World) -> None:
    """What `detect` and `analyze` queue goes through `sync_own_alerts`, whose hook
    gets no batch: the facts are read from the store, watchlists included."""
    alert = send_alert(world, "h-1")
    world.ws.PLAYBOOKS_RECHECK = 0.0
    write_playbook(world, "watched", """\
id: watched
title: Watched people's alerts
trigger: {on: alert, rules: ["insider.exfil.*"], watchlists: [insider-watch]}
steps:
  - group: {}
""")
    with world.ws.state.session() as s:
        s.add(WatchlistEntry(person="ACM2278", watchlist="insider-watch", origin="analyst",
                             added_by="lena", reason="test", since=world.clock.now().date(),
                             until=None, created_at=world.clock.now()))
    with world.ws.state.session() as s:
        world.ws.playbooks_intake(s, IntakeResult(1, 1, 0, 0, 0, 0, (alert,),
                                                  ((alert, None),)))
    [run] = world.ws.playbook_runs()
    assert (run.playbook, run.alert_id, run.status) == ("watched", alert, "pending")
