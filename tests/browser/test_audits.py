"""Lighthouse and axe-core on every page, against a real server with a live show.

Lighthouse (npm `lighthouse`, run by tests/browser/lighthouse.mjs in Debian's Chromium through
chrome-launcher, headless, no sandbox): accessibility and best practices at least 95 on every page,
performance at least 90 on the watch page of a live show in mobile emulation. The scores are printed
(docs/pages.md records a run). axe-core (npm): no serious or critical violation on any page, in the
states a user sees (signed in, a product on screen, the checkout sheet open, the console's show panel)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from livecart.demo import DemoSeed
from tests.browser.harness import DESKTOP, PHONE, PLAYING, ROOT, Pages, wait_until
from tests.support import need_binary

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

LIGHTHOUSE = ROOT / "tests" / "browser" / "lighthouse.mjs"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPORT = ROOT / "test-artifacts" / "lighthouse.json"
SERUM = "Glow Serum 30 ml"


# Lighthouse's own failures to trace a page load, for which it says "Please run Lighthouse again" (seen:
# NO_NAVSTART once in a full run). Scores are never retried; only a run that measured nothing is.
LIGHTHOUSE_RETRY = ("NO_NAVSTART", "NO_FCP", "NO_TRACING_STARTED")


async def lighthouse(url: str, form_factor: str) -> dict[str, Any]:
    result = await lighthouse_once(url, form_factor)
    error = result["runtimeError"]
    if error is not None and any(code in str(error) for code in LIGHTHOUSE_RETRY):
        result = await lighthouse_once(url, form_factor)
    assert result["runtimeError"] is None, result["runtimeError"]
    return result


async def lighthouse_once(url: str, form_factor: str) -> dict[str, Any]:
    node = need_binary("node")
    process = await asyncio.create_subprocess_exec(
        node, str(LIGHTHOUSE), url, form_factor,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"CHROME_PATH": need_binary("chromium", "chromium-browser"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode == 0, err.decode()[-2000:]
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def axe_violations(page: Page) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now (axe is evaluated through
    DevTools, which the pages' CSP does not govern)."""
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = await page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations)"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


async def go_live_with_a_pin(pages: Pages, demo: DemoSeed) -> Page:
    studio = await pages.open(f"/studio/{demo.show_id}#token={demo.host_token}", who="host")
    await wait_until(studio, "document.querySelector('#preview').videoWidth > 0")
    await studio.get_by_role("button", name="Go live").click()
    await expect(studio.locator("#health")).to_have_text("connected", timeout=20_000)
    await studio.get_by_role("button", name=f"Pin {SERUM}").click()
    await expect(studio.locator("#lineup .badge-live")).to_have_count(1)
    return studio


async def test_axe_finds_no_serious_violation_on_any_page(demo: DemoSeed, pages: Pages) -> None:
    studio = await go_live_with_a_pin(pages, demo)
    problems: dict[str, list[str]] = {}

    index = await pages.open("/", viewport=PHONE)
    await expect(index.locator("#live-shows li")).to_have_count(1)
    problems["index"] = await axe_violations(index)

    watch = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE, who="viewer")
    await wait_until(watch, PLAYING, timeout_s=30)
    problems["watch, before a name"] = await axe_violations(watch)
    await watch.get_by_label("Pick a display name to chat and shop").fill("Sam Buyer")
    await watch.get_by_role("button", name="Join").click()
    await watch.get_by_role("textbox", name="Chat message").fill("Hello!")
    await watch.get_by_role("button", name="Send").click()
    await expect(watch.locator("#chat")).to_contain_text("Hello!")
    problems["watch, chatting"] = await axe_violations(watch)
    await watch.get_by_role("button", name=f"Add to cart: {SERUM}").click()
    await expect(watch.locator("#cart-count")).to_have_text("1")
    await watch.locator("#cart-button").click()
    await expect(watch.get_by_role("button", name="Pay €34.50")).to_be_visible()
    problems["watch, checkout sheet"] = await axe_violations(watch)
    await watch.set_viewport_size(DESKTOP)
    problems["watch, desktop"] = await axe_violations(watch)

    problems["studio, live"] = await axe_violations(studio)
    brand = await pages.open(f"/brand#token={demo.brand_token}", viewport=PHONE, who="brand")
    await expect(brand.locator("#live-title")).to_have_text("Friday Glow-Up with Mia")
    problems["brand console, show panel"] = await axe_violations(brand)
    signin = await pages.open("/brand")
    await expect(signin.get_by_label("Brand token")).to_be_visible()
    problems["brand console, sign-in"] = await axe_violations(signin)

    found = {page: found for page, found in problems.items() if found}
    for page, violations in found.items():
        print(page, *violations, sep="\n  ")
    assert found == {}, "axe-core found serious or critical violations (printed above)"


async def test_lighthouse_scores(demo: DemoSeed, pages: Pages) -> None:
    await go_live_with_a_pin(pages, demo)
    base = pages.base_url
    runs = [
        ("index", f"{base}/", "mobile"),
        ("watch (live show)", f"{base}/watch/{demo.show_id}", "mobile"),
        ("studio", f"{base}/studio/{demo.show_id}#token={demo.host_token}", "desktop"),
        ("brand console", f"{base}/brand#token={demo.brand_token}", "desktop"),
    ]
    results = {name: await lighthouse(url, form_factor) for name, url, form_factor in runs}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(results, indent=2))
    print("\nLighthouse (performance / accessibility / best practices):")
    for name, result in results.items():
        scores = result["scores"]
        print(f"  {name:20} {result['formFactor']:8} {scores['performance']:4} {scores['accessibility']:4}"
              f" {scores['best-practices']:4}   {result['metrics']}")  # fmt: skip
    low = {
        name: result["failing"]
        for name, result in results.items()
        if result["scores"]["accessibility"] < 95 or result["scores"]["best-practices"] < 95
    }
    assert low == {}, low
    watch = results["watch (live show)"]
    assert watch["scores"]["performance"] >= 90, watch


def test_the_audit_tools_are_dev_dependencies() -> None:
    package = json.loads(Path(ROOT / "package.json").read_text())
    assert {"lighthouse", "axe-core", "chrome-launcher"} <= set(package["devDependencies"])
