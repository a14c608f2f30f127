"""Share links without any server: codes, the attribution window, and who a purchase credits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from livecart.domain.attribution import Attribution, Source, credit, latest, new_code, valid_code

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
VIA_LINK = Attribution("abcd2345", "cmp_1", "hst_1", T0)


def test_codes_are_short_unambiguous_and_checked_before_lookup() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(valid_code(code) for code in codes)
    for bad in ("", "abcd234", "abcd23450", "ABCD2345", "abcd234o", "../../x1", "abcd 345"):
        assert not valid_code(bad)


def test_a_purchase_inside_the_window_credits_the_link_host() -> None:
    def buy(at: datetime, product: str = "prd_1", show_host: str | None = None) -> tuple[str | None, Source]:
        found = credit(
            show_host_id=show_host, attribution=VIA_LINK, campaign_products={"prd_1"}, product_id=product,
            now=at, days=7,
        )  # fmt: skip
        return found.host_id, found.source

    assert buy(T0 + timedelta(days=7) - timedelta(seconds=1)) == ("hst_1", Source.LINK)
    assert buy(T0 + timedelta(days=7)) == (None, Source.DIRECT)  # the window is over
    assert buy(T0 + timedelta(days=1), product="prd_2") == (None, Source.DIRECT)  # not the campaign's
    assert buy(T0 + timedelta(days=1), show_host="hst_2") == ("hst_2", Source.SHOW)  # inside a show


def test_the_latest_link_followed_wins() -> None:
    later = Attribution("wxyz2345", "cmp_2", "hst_2", T0 + timedelta(days=2))
    assert latest([VIA_LINK, later]) == later
    assert latest([]) is None
