"""Money arithmetic: integer minor units only, every share rounded down (floor) per line, so both
stores and every report compute the same cents."""

from __future__ import annotations

BPS_DENOMINATOR = 10_000  # basis points in 100 %


def line_total(unit_price_cents: int, qty: int) -> int:
    return unit_price_cents * qty


def share_of(amount_cents: int, bps: int) -> int:
    """floor(amount × bps / 10000): a commission or fee on one line, in minor units."""
    if amount_cents < 0 or not 0 <= bps <= BPS_DENOMINATOR:
        raise ValueError("share_of needs a non-negative amount and 0 ≤ bps ≤ 10000")
    return amount_cents * bps // BPS_DENOMINATOR


def prorated(whole_cents: int, units_before: int, units_now: int, units_total: int) -> int:
    """The part of `whole_cents` that belongs to units (units_before, units_now] of units_total.

    Cumulative rounding: floor(whole × now / total) − floor(whole × before / total). However a line is
    refunded in parts, the parts add up to exactly `whole_cents` once every unit is refunded.
    """
    if not 0 <= units_before <= units_now <= units_total or units_total == 0:
        raise ValueError("need 0 ≤ units_before ≤ units_now ≤ units_total and units_total > 0")
    return whole_cents * units_now // units_total - whole_cents * units_before // units_total
