"""Giveaway rules without any store: the commitment, the documented draw and the 10-line verify script
in docs/selling.md, who may enter."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livecart.domain import giveaways
from livecart.domain.errors import BadRequest, Forbidden
from livecart.domain.giveaways import GiveawayClosed, GiveawayStatus
from livecart.domain.models import Role

NOW = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
DOC = (Path(__file__).resolve().parents[2] / "docs" / "selling.md").read_text()
SEEDS = st.binary(min_size=32, max_size=32).map(bytes.hex)
ENTRANTS = st.lists(st.from_regex(r"vwr_[0-9a-f]{4,16}", fullmatch=True), unique=True, max_size=60)


def doc_block(marker: str) -> str:
    found = re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)```", DOC, re.S)
    assert found is not None, marker
    return found.group(1)


def run_verify_script(body: dict[str, object]) -> str:
    """Run the docs' script as a reader would, with the giveaway's JSON on stdin; returns what it printed."""
    out = io.StringIO()
    stdin, sys.stdin = sys.stdin, io.StringIO(json.dumps(body))
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(doc_block("verify-script"), "selling.md", "exec"), {"__name__": "__main__"})
    finally:
        sys.stdin = stdin
    return out.getvalue()


def drawn(seed: str, entrants: list[str], winners: int) -> dict[str, object]:
    """The public view of a drawn giveaway, as GET /api/giveaways/{id} will give it."""
    made = giveaways.new_giveaway(
        giveaway_id="gvw_1", show_id="shw_1", host_id="hst_1", product_id="prd_1", brand_id="brd_1",
        winners=winners, duration_s=60, keyword=None, now=NOW, seed=seed,
    )  # fmt: skip
    done = replace(made, status=GiveawayStatus.DRAWN, entrants=len(entrants),
                   winner_ids=tuple(giveaways.draw(seed, entrants, winners)))  # fmt: skip
    return done.public(entrants)


def test_the_commitment_is_the_sha256_of_the_seed_bytes() -> None:
    seed = giveaways.new_seed()
    assert len(bytes.fromhex(seed)) == 32
    assert giveaways.commitment(seed) == hashlib.sha256(bytes.fromhex(seed)).hexdigest()
    assert giveaways.new_seed() != seed


@given(SEEDS, ENTRANTS, st.integers(1, 100))
def test_the_draw_picks_distinct_entrants_as_many_as_there_are_prizes_or_entrants(
    seed: str, entrants: list[str], winners: int
) -> None:
    picked = giveaways.draw(seed, entrants, winners)
    assert len(picked) == min(winners, len(entrants)) == len(set(picked))
    assert set(picked) <= set(entrants)
    assert giveaways.draw(seed, list(reversed(entrants)) + entrants[:3], winners) == picked  # order, repeats
    assert giveaways.draw(seed, entrants, winners + 1)[: len(picked)] == picked  # one more prize: same first ones


def test_each_entrant_is_equally_likely_to_win() -> None:
    wins = Counter(giveaways.draw(f"{n:064x}", ["vwr_a", "vwr_b", "vwr_c"], 1)[0] for n in range(3000))
    assert set(wins) == {"vwr_a", "vwr_b", "vwr_c"}
    assert all(880 <= count <= 1120 for count in wins.values())  # 1000 ± 3.9 standard deviations


@settings(max_examples=60)
@given(SEEDS, ENTRANTS, st.integers(1, 100))
def test_the_verify_script_in_the_docs_reproduces_every_draw(seed: str, entrants: list[str], winners: int) -> None:
    body = drawn(seed, entrants, winners)
    assert run_verify_script(body).startswith("winners verified")
    tampered = {**body, "winners": list(reversed(body["winners"]))}  # type: ignore[call-overload]
    if len(body["winners"]) > 1:  # type: ignore[arg-type]
        assert run_verify_script(tampered).startswith("MISMATCH")


def test_the_example_in_the_docs_is_a_real_draw_and_the_script_runs_standalone(tmp_path: Path) -> None:
    example = json.loads(doc_block("verify-example"))
    assert example["commitment"] == giveaways.commitment(example["seed"])
    assert example["winners"] == giveaways.draw(example["seed"], example["entrant_ids"], example["winners_count"])
    script = tmp_path / "verify.py"
    script.write_text(doc_block("verify-script"))
    assert len(doc_block("verify-script").strip().splitlines()) <= 12
    result = subprocess.run(
        [sys.executable, "-I", str(script)], input=json.dumps(example), capture_output=True, text=True, timeout=30
    )
    assert result.stdout.startswith("winners verified"), result.stderr
    wrong_seed = {**example, "seed": "00" * 32}
    refused = subprocess.run(
        [sys.executable, "-I", str(script)], input=json.dumps(wrong_seed), capture_output=True, text=True, timeout=30
    )
    assert refused.returncode != 0
    assert "the seed does not match" in refused.stderr


def test_only_viewers_other_than_the_host_and_the_brand_may_enter() -> None:
    giveaway = giveaways.new_giveaway(
        giveaway_id="gvw_1", show_id="shw_1", host_id="hst_1", product_id="prd_1", brand_id="brd_1",
        winners=1, duration_s=60, keyword="  Glow ", now=NOW,
    )  # fmt: skip
    giveaways.check_entrant(giveaway, "vwr_1", Role.VIEWER)
    for account_id, role in (("hst_1", Role.HOST), ("brd_1", Role.BRAND), ("brd_2", Role.BRAND), ("admin", Role.ADMIN)):
        with pytest.raises(Forbidden):
            giveaways.check_entrant(giveaway, account_id, role)
    giveaways.check_open(giveaway, NOW)
    with pytest.raises(GiveawayClosed):
        giveaways.check_open(giveaway, NOW + timedelta(seconds=60))
    assert giveaways.matches_keyword(giveaway, " glow")
    assert not giveaways.matches_keyword(giveaway, "glow up")
    assert giveaway.public()["seed"] is None  # secret until the draw


def test_invalid_giveaway_settings_name_every_field() -> None:
    with pytest.raises(BadRequest) as raised:
        giveaways.new_giveaway(
            giveaway_id="g", show_id="s", host_id="h", product_id="p", brand_id="b", winners=101,
            duration_s=5, keyword=" ", now=NOW,
        )  # fmt: skip
    assert set(raised.value.details["fields"]) == {"winners", "duration_s", "keyword"}
