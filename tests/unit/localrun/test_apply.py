"""Infra changes: what differs between two topologies, and what cannot be applied in place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from localrun.apply import diff
from localrun.assembly import read_assembly

ASSEMBLY = Path(__file__).parent / "fixtures" / "assembly"


def test_added_removed_and_changed_resources_are_named_and_safe_ones_apply_in_place() -> None:
    old = read_assembly(ASSEMBLY)
    fn = old.functions[0]
    new = replace(
        old,
        queues=old.queues[1:],
        functions=(replace(fn, env={**fn.env, "FLAG": "on"}), *old.functions[1:]),
        rules=(*old.rules, replace(old.rules[0], name="NewRule")),
    )
    change = diff(old, new)
    assert change.removed == {"queue": [old.queues[0].name]}
    assert change.added == {"rule": ["NewRule"]}
    assert change.changed == {"function": [fn.name]}
    assert change.unsafe == []
    assert "rule added: NewRule" in change.describe()


def test_a_changed_table_or_event_source_mapping_needs_a_restart() -> None:
    old = read_assembly(ASSEMBLY)
    table = old.tables[0]
    new = replace(old, tables=(replace(table, create_args={**table.create_args, "BillingMode": "PROVISIONED"}),))
    assert diff(old, new).unsafe and "table" in diff(old, new).unsafe[0]
    assert diff(old, replace(old, event_source_mappings=())).unsafe


def test_the_same_synth_is_no_change() -> None:
    assert diff(read_assembly(ASSEMBLY), read_assembly(ASSEMBLY)).empty
