"""Workflow files are data: validated at load with errors that name the file and line, and a
second workflow runs on the same engine without changing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from permit import engine, registers, rules, workflow
from permit.errors import Blocked
from permit.workflow import WorkflowError

SHIPPED = workflow.WORKFLOWS_DIR / "draft-2023" / "confined_space.toml"
HOT_WORK = Path(__file__).parent / "workflows" / "hot_work.toml"


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "confined_space.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_shipped_workflow_loads_and_builds_one_shared_machine():
    wf = workflow.get("confined_space", "draft-2023.1")
    assert wf.pack == "draft-2023"
    assert workflow.get("confined_space", "draft-2023.1") is wf
    assert set(wf.machine.events) == set(wf.events)


def test_an_unknown_guard_is_refused_naming_the_line(tmp_path):
    path = broken(tmp_path, '"by_requester", "space_active"', '"by_requester", "space_actve"')
    with pytest.raises(WorkflowError) as err:
        workflow.load(path)
    assert "space_actve" in str(err.value)
    assert str(err.value).startswith(f"confined_space.toml:{line_of(path, 'space_actve')}:")


def test_a_guard_without_a_citation_is_refused(tmp_path):
    path = broken(tmp_path, 'cite = "003 第八条"\nzh = "有限空间{space}', 'zh = "有限空间{space}')
    with pytest.raises(WorkflowError, match="guard 'space_active' has no citation") as err:
        workflow.load(path)
    assert f":{line_of(path, '[guards.space_active]')}:" in str(err.value)


def test_a_rule_without_code_behind_it_is_refused(tmp_path):
    path = broken(tmp_path, "[guards.by_requester]", "[guards.by_astrologer]")
    with pytest.raises(WorkflowError, match="unknown guard 'by_astrologer'"):
        workflow.load(path)


def test_an_unreachable_state_is_refused_naming_its_line(tmp_path):
    path = broken(
        tmp_path,
        "[states.cancelled]",
        '[states.limbo]\nzh = "悬置"\nen = "Limbo"\n[states.cancelled]',
    )
    with pytest.raises(WorkflowError, match="state 'limbo' is unreachable") as err:
        workflow.load(path)
    assert f":{line_of(path, '[states.limbo]')}:" in str(err.value)


def test_a_figure_without_a_unit_is_refused(tmp_path):
    path = broken(tmp_path, 'validity = { value = 30, unit = "min" }', "validity = { value = 30 }")
    with pytest.raises(
        WorkflowError, match="gas_tests.validity: figure 30 has no known unit"
    ) as err:
        workflow.load(path)
    assert f":{line_of(path, 'validity = { value = 30 }')}:" in str(err.value)


def test_a_gas_limit_without_a_unit_is_refused(tmp_path):
    path = broken(tmp_path, 'max = { value = 10, unit = "mg/m3" }', "max = { value = 10 }")
    with pytest.raises(WorkflowError, match="gas 'h2s' max"):
        workflow.load(path)


def test_an_event_to_an_unknown_state_is_refused(tmp_path):
    path = broken(
        tmp_path,
        '{ from = "draft", to = "pending_approval" }',
        '{ from = "draft", to = "pending" }',
    )
    with pytest.raises(WorkflowError, match="unknown state 'pending'"):
        workflow.load(path)


def test_a_tier_naming_an_unknown_role_is_refused(tmp_path):
    path = broken(tmp_path, 'approvers = ["principal", "deputy"]', 'approvers = ["boss"]')
    with pytest.raises(WorkflowError, match="unknown role 'boss'"):
        workflow.load(path)


def test_malformed_toml_is_refused_with_the_file_name(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[workflow\nname = 1", encoding="utf-8")
    with pytest.raises(WorkflowError, match="bad.toml"):
        workflow.load(path)


@rules.guard
def fire_watch_posted(ctx):
    """A rule only the test workflow uses: registering it is all a new workflow needs."""
    if not str(ctx.data.get("fire_watch", "")).strip():
        yield {}


def test_a_second_workflow_runs_on_the_same_engine_unchanged(world):
    hot = workflow.register(workflow.load(HOT_WORK))
    assert hot.machine is not workflow.get("confined_space", "draft-2023.1").machine
    permit = registers.create_permit(
        world.session,
        space=world.tank,
        requester=world.requester,
        clock=world.clock,
        task_type="maintenance",
        attendant=world.attendant,
        workflow="hot_work",
        workflow_version="test.1",
    )
    world.session.commit()
    assert permit.state == "draft" and permit.workflow == "hot_work"
    with pytest.raises(Blocked) as refused:
        engine.apply(world.session, permit, "approve", world.requester, {}, clock=world.clock)
    assert {r.rule for r in refused.value.reasons} == {"approver_not_requester"}
    why = engine.blocked_by(world.session, permit, "approve", world.principal, clock=world.clock)
    assert [r.text("en") for r in why] == [
        "GB 30871-2022 动火作业分级: Must be approved by approver (grade-2 hot work)"
    ]
    world.session.rollback()
    engine.apply(world.session, permit, "approve", world.approver, {}, clock=world.clock)
    world.session.commit()
    with pytest.raises(Blocked, match="fire watch"):
        engine.apply(
            world.session,
            permit,
            "light_up",
            world.attendant,
            {"fire_watch": " "},
            clock=world.clock,
        )
    world.session.rollback()
    engine.apply(
        world.session,
        permit,
        "light_up",
        world.attendant,
        {"fire_watch": "老李"},
        clock=world.clock,
    )
    engine.apply(world.session, permit, "close", world.attendant, {}, clock=world.clock)
    world.session.commit()
    assert permit.state == "closed"
