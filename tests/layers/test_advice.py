"""Error advice names the option as the interface that shows it spells it."""

from __future__ import annotations

import pytest

from tanmap.layers.advice import OPTIONS, for_interface, option_hint


@pytest.mark.parametrize(("hint", "cli", "http"), [
    (option_hint("repair"), "--repair", "repair=true"),
    (option_hint("skip_invalid"), "--skip-invalid", "skip_invalid=true"),
    (option_hint("source_crs", "EPSG:4548"), "--source-crs EPSG:4548", "source_crs=EPSG:4548"),
    (option_hint("layer", "NAME"), "--layer NAME", "layer=NAME"),
    (option_hint("lon_col", "COLUMN"), "--lon-col COLUMN", "lon_col=COLUMN"),
    (option_hint("mode", "replace"), "--mode replace", "mode=replace"),
    (option_hint("field_map", "mapping.yaml"), "--map mapping.yaml", "mapping=mapping.yaml"),
], ids=["repair", "skip_invalid", "source_crs", "layer", "lon_col", "mode", "field_map"])
def test_each_interface_gets_its_own_spelling(hint: str, cli: str, http: str) -> None:
    text = f"fix: try again with {hint}, then re-run"
    assert for_interface(text, "cli") == f"fix: try again with {cli}, then re-run"
    assert for_interface(text, "http") == f"fix: try again with {http}, then re-run"
    assert for_interface(text, "python") == text


def test_several_hints_in_one_message_and_unknown_forms_left_alone() -> None:
    text = (f"use {option_hint('repair')} or {option_hint('source_crs', 'EPSG:4490')}; "
            "x=True (CLI: --not-an-option)")
    assert for_interface(text, "http") == (
        "use repair=true or source_crs=EPSG:4490; x=True (CLI: --not-an-option)"
    )
    assert for_interface(text, "cli") == (
        "use --repair or --source-crs EPSG:4490; x=True (CLI: --not-an-option)"
    )


def test_unknown_option_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        option_hint("repiar")
    assert {"repair", "source_crs", "layer", "encoding"} <= set(OPTIONS)
