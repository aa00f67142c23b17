"""Server-rendered HTML for the console: plain, escaped, keyboard-navigable markup (no template engine needed)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import quote

NAV = (
    ("/", "Topology"),
    ("/traces", "Traces"),
    ("/queues", "Queues"),
    ("/data", "Data"),
)
PREVIEW_CHARS = 2000  # input/output shown inline; the rest behind a link


def e(value: object) -> str:
    return escape("" if value is None else str(value))


def url(*parts: str) -> str:
    return "/" + "/".join(quote(p, safe="") for p in parts)


def link(href: str, text: object) -> str:
    return f'<a href="{e(href)}">{e(text)}</a>'


def page(title: str, body: str, current: str = "") -> str:
    nav = "".join(
        f'<li><a href="{href}"{" aria-current=page" if href == current else ""}>{label}</a></li>' for href, label in NAV
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} · localrun console</title>
<link rel="stylesheet" href="/static/console.css"><script src="/static/htmx.min.js" defer></script>
<script src="/static/live.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><strong>localrun console</strong><nav aria-label="Main"><ul>{nav}</ul></nav></header>
<main id="main" tabindex="-1"><h1>{e(title)}</h1>
{body}
</main></body></html>"""


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], caption: str = "", id_: str = "") -> str:
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    ident = f' id="{e(id_)}"' if id_ else ""
    return f"<table{ident}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def pre(text: str, limit: int = PREVIEW_CHARS, more_href: str = "") -> str:
    shown = pretty(text)
    if len(shown) <= limit:
        return f"<pre>{e(shown)}</pre>"
    more = f' <a href="{e(more_href)}">see all ({len(shown)} characters)</a>' if more_href else ""
    return f"<pre>{e(shown[:limit])}\n…</pre><p>truncated{more}</p>"


def pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except (ValueError, TypeError):
        return text


def badge(status: str) -> str:
    return f'<span class="badge {e(status)}">{e(status)}</span>'


def dl(items: Iterable[tuple[str, Any]]) -> str:
    return "<dl>" + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"
