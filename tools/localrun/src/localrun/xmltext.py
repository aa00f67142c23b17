"""The XML text xmltodict writes for the bodies moto's query serializer builds, written without xmltodict.

moto turns a query-protocol answer (SNS, and every error of such a service) into a nested dict and has
``xmltodict.unparse`` write it: a SAX generator driven element by element, each name validated on the way, ~20% of
an SNS Publish's time in moto. :func:`unparse` writes the same text for the values moto puts in those dicts (str,
int, float, bool, None, dicts and lists of them, ``@`` attributes and ``#text``) and gives up (None) on anything
else, which then goes xmltodict's way: tuples and other iterables, bytes, comments, ``@xmlns`` maps, names xmltodict
would refuse. tests/unit/localrun/test_xmltext.py compares both on every such case."""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

# A name xmltodict accepts (its _validate_name): not starting with "?" or "!", no markup, quotes, "=" or whitespace.
_NAME = re.compile(r"[^\s<>/\"'=?!][^\s<>/\"'=]*")


class _Unusual(Exception):
    """A value this writer leaves to xmltodict."""


def unparse(body: Mapping[str, object]) -> str | None:
    """``xmltodict.unparse(body, full_document=False, short_empty_elements=True)``, or None when ``body`` holds
    something this writer does not write."""
    out: list[str] = []
    try:
        for name, value in body.items():
            _element(name, value, out)
    except _Unusual:
        return None
    return "".join(out)


def _element(name: object, value: object, out: list[str]) -> None:
    if type(name) is not str or not _NAME.fullmatch(name):
        raise _Unusual
    if type(value) is list:  # one element per item (an empty list: none)
        for item in value:
            _one(name, item, out)
    else:
        _one(name, value, out)


def _one(name: str, value: object, out: list[str]) -> None:
    if value is None:
        out.append(f"<{name}/>")
        return
    if type(value) is not dict:
        text = _text(value)
        out.append(f"<{name}>{escape(text)}</{name}>" if text else f"<{name}/>")
        return
    attributes: list[str] = []
    children: list[tuple[str, object]] = []
    text = ""
    for key, item in value.items():
        if type(key) is not str:
            raise _Unusual
        if key == "#text":
            text = "" if item is None else _text(item)
        elif key.startswith("@"):
            if type(item) is dict or not _NAME.fullmatch(key[1:]):
                raise _Unusual  # an @xmlns map, or a name xmltodict refuses
            attributes.append(f" {key[1:]}={quoteattr('' if item is None else _text(item))}")
        elif key.startswith("#"):
            raise _Unusual  # a comment
        elif not (type(item) is list and not item):  # an empty list writes no element
            children.append((key, item))
    start = f"<{name}{''.join(attributes)}"
    if not children and not text:
        out.append(f"{start}/>")
        return
    out.append(f"{start}>")
    for key, item in children:
        _element(key, item, out)
    out.append(f"{escape(text)}</{name}>")


def _text(value: object) -> str:
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int or type(value) is float:
        return str(value)
    raise _Unusual
