"""Card numbers (PANs) never enter the system: a detector for free text, and a pydantic type that applies it.

A PAN is recognised by shape AND checksum: 13-19 digits, an issuer prefix of a card scheme (Visa, Mastercard,
Amex, Discover, Diners, JCB, UnionPay, Maestro) and a valid Luhn digit. Separators that people and bypass attempts
put between digits (spaces, tabs, dots, slashes, dashes, underscores, in any number) are ignored, and every run of
consecutive digit groups is examined, so "12 4111 1111 1111 1111" (a house number, then a card) is caught. A
digit-only user name or a phone number passes unless it is a card number by shape and Luhn.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

#: Digit groups joined by separators: a run of these may hold a card number written in any grouping.
_RUN = re.compile(r"\d+(?:[\s./\\_-]+\d+)*")
_GROUP = re.compile(r"\d+")
_SHORTEST, _LONGEST = 13, 19


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _issuer_prefix(digits: str) -> bool:
    """The number starts like a card of a major scheme (ISO/IEC 7812 issuer identification number ranges)."""
    two, four, six = int(digits[:2]), int(digits[:4]), int(digits[:6])
    return (
        digits[0] == "4"  # Visa
        or 51 <= two <= 55
        or 222100 <= six <= 272099  # Mastercard
        or two in (34, 37)  # Amex
        or two in (36, 38, 39)
        or 300 <= int(digits[:3]) <= 305  # Diners
        or 3528 <= four <= 3589  # JCB
        or four == 6011
        or two == 65
        or 644 <= int(digits[:3]) <= 649  # Discover
        or two == 62  # UnionPay
        or two == 50
        or 56 <= two <= 69  # Maestro
    )


def is_card_number(digits: str) -> bool:
    """``digits`` (digits only) is a PAN by shape and Luhn."""
    return _SHORTEST <= len(digits) <= _LONGEST and digits.isdigit() and _issuer_prefix(digits) and _luhn_ok(digits)


def _candidates(groups: list[str]) -> list[str]:
    """Every digit string a card could hide as in one run: each span of whole groups, and (for digits glued to
    other digits without a separator) each 13-19 digit window of a group longer than a card."""
    found = []
    for i in range(len(groups)):
        digits = ""
        for group in groups[i:]:
            digits += group
            if len(digits) > _LONGEST:
                break
            found.append(digits)
    for group in groups:
        if len(group) > _LONGEST:
            found += [group[s : s + n] for n in range(_SHORTEST, _LONGEST + 1) for s in range(len(group) - n + 1)]
    return found


def contains_card_number(text: str) -> bool:
    """True if ``text`` holds a card number in any common (or evasive) grouping."""
    return any(
        is_card_number(candidate) for run in _RUN.findall(text) for candidate in _candidates(_GROUP.findall(run))
    )


def _refuse_card_numbers(value: str) -> str:
    if contains_card_number(value):
        raise ValueError("looks like a card number; card numbers are not accepted")
    return value


#: A string that must not contain a card number (use for every free-text field a client sends).
NoCardNumber = AfterValidator(_refuse_card_numbers)
CardFreeText = Annotated[str, NoCardNumber]
