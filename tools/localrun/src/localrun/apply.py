"""Infra changes while running: what differs between the running topology and a new synth, and whether the
runner can apply it in place (:meth:`localrun.runner.Runner.apply`) or must restart (keeping its state).

Applied in place: functions added, removed or changed (environment, handler, memory, timeout: the next invocation
starts on the new definition, those in flight finish on the old), queues, topics, buses, rules with their targets,
subscriptions, bucket notifications, tables and buckets added, and REST routes. Not in place, so a restart that
keeps the state: a table whose definition changed (its key schema or indexes: the items may not fit), an SQS event
source mapping added, removed or changed (its pollers are started once), a REST API added where there was none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from localrun.model import Topology


@dataclass(frozen=True)
class TopologyDiff:
    added: dict[str, list[str]] = field(default_factory=dict)  # kind -> names
    removed: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    unsafe: list[str] = field(default_factory=list)  # why it cannot be applied in place

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.unsafe)

    def describe(self) -> str:
        parts = []
        for verb, by_kind in (("added", self.added), ("removed", self.removed), ("changed", self.changed)):
            for kind, names in sorted(by_kind.items()):
                parts.append(f"{kind} {verb}: {', '.join(sorted(names))}")
        return "; ".join(parts) or "nothing the runner emulates changed"


def _by_name(items: tuple[object, ...]) -> dict[str, object]:
    return {str(getattr(i, "name")): i for i in items}  # noqa: B009 - every resource of the model has a name


def diff(old: Topology, new: Topology) -> TopologyDiff:
    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    changed: dict[str, list[str]] = {}
    kinds: dict[str, tuple[tuple[object, ...], tuple[object, ...]]] = {
        "function": (old.functions, new.functions),
        "queue": (old.queues, new.queues),
        "table": (old.tables, new.tables),
        "bucket": (old.buckets, new.buckets),
        "topic": (old.topics, new.topics),
        "bus": (old.buses, new.buses),
        "rule": (old.rules, new.rules),
    }
    for kind, (before, after) in kinds.items():
        a, b = _by_name(before), _by_name(after)
        for name in b.keys() - a.keys():
            added.setdefault(kind, []).append(name)
        for name in a.keys() - b.keys():
            removed.setdefault(kind, []).append(name)
        for name in a.keys() & b.keys():
            if a[name] != b[name]:
                changed.setdefault(kind, []).append(name)
    if old.subscriptions != new.subscriptions:
        changed["subscriptions"] = ["(SNS)"]
    if old.bucket_notifications != new.bucket_notifications:
        changed["bucket notifications"] = ["(S3)"]
    if old.rest_apis != new.rest_apis:
        changed["REST routes"] = [a.name for a in new.rest_apis] or ["(none)"]
    if old.event_invoke_configs != new.event_invoke_configs:
        changed["event invoke configs"] = sorted({c.function_name for c in new.event_invoke_configs}) or ["(none)"]

    unsafe: list[str] = []
    if changed.get("table") or removed.get("table"):
        unsafe.append(
            f"table definition changed or removed ({', '.join(changed.get('table', []) + removed.get('table', []))})"
        )
    if old.event_source_mappings != new.event_source_mappings:
        unsafe.append("SQS event source mappings changed (their pollers start once)")
    if new.rest_apis and not old.rest_apis:
        unsafe.append("a REST API was added (its server starts once)")
    if old.stacks != new.stacks:
        unsafe.append("the set of stacks changed")
    return TopologyDiff(added, removed, changed, unsafe)
