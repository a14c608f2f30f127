"""The docs are part of the product: every setting is documented."""

from __future__ import annotations

from pathlib import Path

from livecart.config import SETTINGS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_is_in_the_configuration_table() -> None:
    table = (DOCS / "configuration.md").read_text()
    missing = [setting.env for setting in SETTINGS if f"| `{setting.env}` |" not in table]
    assert missing == []


def test_every_settings_field_has_a_table_row() -> None:
    from dataclasses import fields

    from livecart.config import Settings

    in_table = {setting.field for setting in SETTINGS}
    derived = {"admin_token_generated"}
    assert {f.name for f in fields(Settings)} - derived == in_table
