"""How a buyer appears in public (the sales ticker): first name and the initial of the last one."""

from __future__ import annotations


def public_buyer_name(name: str) -> str:
    """'Sam Lee Carter' → 'Sam C.'; 'Sam' → 'Sam'; blank → 'Someone'."""
    parts = name.split()
    if not parts:
        return "Someone"
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0].upper()}."
