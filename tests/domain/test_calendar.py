"""A show as an iCalendar event: escaped text, UTC times, lines folded at 75 octets (RFC 5545)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from livecart.domain.calendar import show_event

START = datetime(2026, 12, 4, 19, 30, tzinfo=timezone(timedelta(hours=1)))
STAMP = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def unfolded(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def test_a_show_is_one_event_in_utc_with_a_one_hour_slot() -> None:
    text = show_event(
        show_id="shw_1", title="Friday Glow-Up", host="Mia", start=START, watch_url="https://x.test/watch/shw_1",
        stamp=STAMP,
    )  # fmt: skip
    assert text.endswith("\r\n")
    lines = unfolded(text)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert "UID:shw_1@livecart" in lines
    assert "DTSTART:20261204T183000Z" in lines
    assert "DTEND:20261204T193000Z" in lines
    assert "DTSTAMP:20261129T120000Z" in lines
    assert "URL:https://x.test/watch/shw_1" in lines
    assert "SUMMARY:Friday Glow-Up" in lines


def test_text_is_escaped_and_long_lines_are_folded_without_splitting_a_character() -> None:
    title = "Soldes; robes, sacs\\chaussures\nété " + "é" * 60
    text = show_event(show_id="shw_2", title=title, host="Zoé", start=START, watch_url="https://x.test/w", stamp=STAMP)
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75
    summary = next(line for line in unfolded(text) if line.startswith("SUMMARY:"))
    assert summary == "SUMMARY:Soldes\\; robes\\, sacs\\\\chaussures\\nété " + "é" * 60
    text.encode().decode("utf-8")  # every piece is whole UTF-8
