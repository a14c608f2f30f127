"""A show as an iCalendar event (RFC 5545): one VEVENT people add to their calendar from the index page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DEFAULT_LENGTH = timedelta(hours=1)  # a show has no planned end; calendars need one
LINE_OCTETS = 75  # RFC 5545 §3.1: lines longer than this are folded


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Split a content line into pieces of at most 75 octets, never inside a UTF-8 character."""
    pieces: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        limit = LINE_OCTETS if not pieces else LINE_OCTETS - 1  # continuation lines start with a space
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return [pieces[0], *(" " + piece for piece in pieces[1:])]


def show_event(*, show_id: str, title: str, host: str, start: datetime, watch_url: str, stamp: datetime) -> str:
    """The VCALENDAR text (CRLF line ends) of one show starting at `start`, lasting DEFAULT_LENGTH."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//livecart//shows//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{show_id}@livecart",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(start + DEFAULT_LENGTH)}",
        f"SUMMARY:{_text(title)}",
        f"DESCRIPTION:{_text(f'Live shopping with {host}. Watch: {watch_url}')}",
        f"URL:{watch_url}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(piece + "\r\n" for line in lines for piece in _fold(line))
