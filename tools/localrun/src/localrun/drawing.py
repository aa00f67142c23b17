"""The topology as an SVG picture, drawn from the model (what ``python -m localrun.diagram`` exports and the
console shows): APIs, buckets, topics, functions, buses and rules, queues and DLQs, tables, and the edges between
them (routes, rule targets, event source mappings, redrive, destinations, notifications, subscriptions, and the
resources a function's environment names). Pure: no I/O; deterministic for one model.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from html import escape

from localrun.model import Topology, function_name_from_arn, queue_name_from_arn

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 230, 34, 90, 14, 20
COLOURS = {
    "api": "#e8f0fe",
    "bucket": "#e6f4ea",
    "topic": "#fef7e0",
    "function": "#fff3e0",
    "bus": "#f3e8fd",
    "rule": "#f3e8fd",
    "queue": "#e0f2f1",
    "table": "#fce8e6",
}


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    label: str
    stack: str


def _short(name: str, stack: str) -> str:
    """``Stack-OrderQueue598C9801-Y6QK0D2ZGCII`` -> ``OrderQueue``: the logical id without CDK's hashes."""
    name = name.removeprefix(stack + "-").removeprefix(stack)
    name = re.sub(r"-[A-Z0-9]{8,}$", "", name)
    return re.sub(r"[0-9A-F]{8}$", "", name) or name


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: set[tuple[str, str, str]] = set()

    def add(self, node_id: str, kind: str, name: str, stack: str) -> str:
        self.nodes.setdefault(node_id, Node(node_id, kind, _short(name, stack), stack))
        return node_id

    def by_arn(self, arn: str | None) -> str | None:
        if not arn or arn.count(":") < 5:
            return None
        kind = arn.split(":")[2]
        candidates = {
            "lambda": f"fn:{function_name_from_arn(arn)}",
            "sqs": f"queue:{queue_name_from_arn(arn)}",
            "sns": f"topic:{arn}",
            "events": f"bus:{arn.rsplit('/', 1)[-1]}",
        }
        found = candidates.get(kind)
        return found if found in self.nodes else None

    def edge(self, a: str | None, b: str | None, label: str = "") -> None:
        if a in self.nodes and b in self.nodes and a is not None and b is not None:
            self.edges.add((a, b, label))


def _add_nodes(g: _Graph, t: Topology) -> None:
    for api in t.rest_apis:
        g.add(f"api:{api.id}", "api", api.name, api.stack)
    for fn in t.functions:
        g.add(f"fn:{fn.name}", "function", fn.name, fn.stack)
    for bus in t.buses:
        g.add(f"bus:{bus.name}", "bus", bus.name, bus.stack)
    for q in t.queues:
        g.add(f"queue:{q.name}", "queue", q.name, q.stack)
    for tp in t.topics:
        g.add(f"topic:{tp.arn}", "topic", tp.name, tp.stack)
    for b in t.buckets:
        g.add(f"bucket:{b.name}", "bucket", b.name, b.stack)
    for tb in t.tables:
        g.add(f"table:{tb.name}", "table", tb.name, tb.stack)
    for rule in t.rules:
        g.add(f"rule:{rule.name}", "rule", rule.name, rule.stack)


def _add_function_edges(g: _Graph, t: Topology) -> None:
    for cfg in t.event_invoke_configs:
        g.edge(f"fn:{cfg.function_name}", g.by_arn(cfg.on_success), "on success")
        g.edge(f"fn:{cfg.function_name}", g.by_arn(cfg.on_failure), "on failure")
    for fn in t.functions:
        g.edge(f"fn:{fn.name}", g.by_arn(fn.dlq_arn), "DLQ")
        values = set(fn.env.values())
        for node in list(g.nodes.values()):
            name = node.id.split(":", 1)[1]
            if node.kind in ("table", "bus", "queue", "bucket", "topic") and any(name in v for v in values):
                g.edge(f"fn:{fn.name}", node.id)


def graph(t: Topology) -> tuple[list[Node], list[tuple[str, str, str]]]:
    """Nodes and labelled edges (from id, to id, label)."""
    g = _Graph()
    _add_nodes(g, t)
    for api in t.rest_apis:
        for r in api.routes:
            g.edge(f"api:{api.id}", f"fn:{r.function_name}")
    for rule in t.rules:
        g.edge(f"bus:{rule.bus_name}", f"rule:{rule.name}")
        for target in rule.targets:
            g.edge(f"rule:{rule.name}", g.by_arn(target.arn))
    for esm in t.event_source_mappings:
        g.edge(g.by_arn(esm.source_arn), f"fn:{function_name_from_arn(esm.function_name)}", "ESM")
    for q in t.queues:
        g.edge(f"queue:{q.name}", g.by_arn(q.redrive.dlq_arn if q.redrive else None), "DLQ")
    _add_function_edges(g, t)
    for sub in t.subscriptions:
        g.edge(f"topic:{sub.topic_arn}", g.by_arn(sub.endpoint), sub.protocol)
    for n in t.bucket_notifications:
        for configs in n.configuration.values():
            for cfg in configs if isinstance(configs, list) else []:
                arn = str(cfg.get("LambdaFunctionArn") or cfg.get("QueueArn") or cfg.get("TopicArn") or "")
                g.edge(f"bucket:{n.bucket_name}", g.by_arn(arn), "notification")
    return sorted(g.nodes.values(), key=lambda n: (n.stack, n.kind, n.label)), sorted(g.edges)


def _layers(nodes: list[Node], edges: list[tuple[str, str, str]]) -> dict[str, int]:
    """Longest path from a source over the graph without its back edges (a depth-first search finds them)."""
    out: dict[str, list[str]] = defaultdict(list)
    for a, b, _label in edges:
        out[a].append(b)
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    back: set[tuple[str, str]] = set()

    def visit(start: str) -> None:
        stack = [(start, iter(out[start]))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(out[child])))

    incoming = {b for _a, b, _l in edges}
    for n in sorted(nodes, key=lambda n: (n.id in incoming, n.id)):  # sources first
        if n.id not in state:
            visit(n.id)
    forward = [(a, b) for a, b, _l in edges if (a, b) not in back]
    layer = {n.id: 0 for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for a, b in forward:
            if layer[b] < layer[a] + 1:
                layer[b] = layer[a] + 1
                changed = True
        if not changed:
            break
    return layer


def render_svg(t: Topology) -> str:
    nodes, edges = graph(t)
    layer = _layers(nodes, edges)
    columns: dict[int, list[Node]] = defaultdict(list)
    for n in nodes:
        columns[layer[n.id]].append(n)
    pos: dict[str, tuple[int, int]] = {}
    for col, members in sorted(columns.items()):
        for row, n in enumerate(members):
            pos[n.id] = (PAD + col * (BOX_W + GAP_X), PAD + 24 + row * (BOX_H + GAP_Y))
    width = PAD * 2 + (max(columns) + 1) * (BOX_W + GAP_X) - GAP_X if columns else 200
    height = PAD * 2 + 24 + max((len(m) for m in columns.values()), default=1) * (BOX_H + GAP_Y)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12" role="img" aria-label="The local topology">',
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' "
        "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#555'/></marker></defs>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{PAD}" y="{PAD + 4}" font-size="14" font-weight="bold">{escape(", ".join(t.stacks))}</text>',
    ]
    for a, b, label in edges:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        sx, sy, ex, ey = x1 + BOX_W, y1 + BOX_H // 2, x2, y2 + BOX_H // 2
        if x2 <= x1:  # same or earlier column: loop around the right side
            ex = x2 + BOX_W
        mid = (sx + ex) // 2
        out.append(
            f'<path d="M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}" fill="none" stroke="#777" '
            'stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
        if label:
            out.append(
                f'<text x="{mid}" y="{(sy + ey) // 2 - 3}" font-size="10" fill="#555" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for n in nodes:
        x, y = pos[n.id]
        out.append(
            f'<g><title>{escape(n.id)}</title><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="5" '
            f'fill="{COLOURS.get(n.kind, "#eee")}" stroke="#888"/>'
            f'<text x="{x + 8}" y="{y + 14}" font-size="10" fill="#555">{escape(n.kind)} · {escape(n.stack)}</text>'
            f'<text x="{x + 8}" y="{y + 28}">{escape(n.label[:34])}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)
