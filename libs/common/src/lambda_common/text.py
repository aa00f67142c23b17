"""Regular expressions for text fields that mean the same in the OpenAPI document (ECMA-262 regex, as fuzzers and
clients read it) and in pydantic's validation (Rust regex after ``str_strip_whitespace``, which trims Unicode
White_Space). ``\\s`` differs between the two (U+0085, U+FEFF), so the whitespace set is spelled out."""

from __future__ import annotations

#: What pydantic's whitespace stripping removes (Unicode White_Space), as a character-class body.
WHITESPACE = r"\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: At least one character that stripping keeps: a stripped string is then not empty.
NOT_BLANK = rf"[^{WHITESPACE}]"
#: Something@something.something, no whitespace.
EMAIL = rf"^[^@{WHITESPACE}]+@[^@{WHITESPACE}]+\.[^@{WHITESPACE}]+$"
