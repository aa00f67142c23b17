"""localrun.xmltext: the XML of moto's query answers, as xmltodict writes it."""

from __future__ import annotations

from typing import Any

import pytest
import xmltodict
from hypothesis import given, settings
from hypothesis import strategies as st
from localrun import xmltext


def xmltodict_text(body: dict[str, Any]) -> str:
    # what moto's BaseXMLSerializer._serialize_body calls
    return str(xmltodict.unparse(body, full_document=False, short_empty_elements=True, pretty=False))


@pytest.mark.parametrize(
    "body",
    [
        {  # an SNS Publish answer, as moto builds it
            "PublishResponse": {
                "PublishResult": {"MessageId": "61e80ea7-34dc-4bbb-a5e9-a53c7175f089"},
                "ResponseMetadata": {"RequestId": "request-id"},
                "@xmlns": "http://sns.amazonaws.com/doc/2010-03-31/",
            }
        },
        {"ErrorResponse": {"Error": {"Type": "Sender", "Code": "NotFound", "Message": "Topic <x> & 'y'"}}},
        {"a": {"member": ["x", "", None, {"b": "1"}, True, False, 3, 1.5]}},  # a list: one element per item
        {"a": {"empty": [], "none": None, "blank": "", "textOnly": {"#text": ""}}},
        {"a": {"@k": "both \" and ' quotes\n\t\r", "@single": "it's", "@none": None, "@n": 7, "#text": "a<b>&c"}},
        {"a": {"child": "c", "#text": "text after the children"}},
        {"ü": "ünï\u2028cödé \x7f", "b": {"c": {"d": {"e": "deep"}}}},
        {"first": "1", "second": "2"},  # several roots
    ],
)
def test_the_text_is_xmltodicts(body: dict[str, Any]) -> None:
    assert xmltext.unparse(body) == xmltodict_text(body)


@pytest.mark.parametrize(
    "body",
    [
        {"a": ("tuple", "items")},
        {"a": [["nested list"]]},
        {"a": b"bytes"},
        {"a": {"#comment": "a comment"}},
        {"a": {"@xmlns": {"p": "urn:x"}}},
        {"bad name": "x"},
        {"a": {"?pi": "x"}},
        {"a": {"@bad=attr": "x"}},
        {"a": {1: "non-string key"}},
        {"a": object()},
    ],
)
def test_what_it_does_not_write_is_left_to_xmltodict(body: dict[str, Any]) -> None:
    assert xmltext.unparse(body) is None


_names = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="<>/\"'= \t\n\r"), min_size=1, max_size=8)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(_names, _names.map(lambda n: "@" + n), st.just("#text")), inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_names, _values, min_size=1, max_size=3))
def test_any_body_is_written_as_xmltodict_writes_it_or_left_to_it(body: dict[str, Any]) -> None:
    try:
        expected: str | None = xmltodict_text(body)
    except ValueError:  # xmltodict refuses it (a name it does not take): so must the writer, leaving it the error
        expected = None
    written = xmltext.unparse(body)
    if written is not None:
        assert written == expected
