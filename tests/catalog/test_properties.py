"""Property checks on the code that handles hostile names and worker messages."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.cataloging.export import sanitize_component
from forensics.cataloging.names import display_name
from forensics.cataloging.wire import WireError, from_wire

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
             *(f"LPT{i}" for i in range(10))}


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_give_a_safe_component(raw: bytes) -> None:
    name = sanitize_component(raw)
    assert name and name not in (".", "..")
    assert len(name.encode("utf-8")) <= 255
    assert not set(name) & set('/\\:\x00<>"|?*')
    assert not name.endswith((".", " "))
    assert name.split(".")[0].rstrip(" ").upper() not in _RESERVED
    assert all(unicodedata.category(c) not in ("Cc", "Cs") for c in name)
    assert name == unicodedata.normalize("NFC", name)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_display_names_hide_nothing(raw: bytes) -> None:
    shown = display_name(raw)
    assert all(unicodedata.category(c) not in ("Cc", "Cs", "Cf") for c in shown)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=6), max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["entry", "volume", "fs", "gap", "note", "bogus"]), _json)
def test_malformed_records_only_ever_raise_wire_error(kind: str, values: object) -> None:
    try:
        from_wire(kind, values)
    except WireError:
        pass
