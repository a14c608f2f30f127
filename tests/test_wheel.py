"""The built wheel is a working server on its own: it carries the pages and the Socket.IO bundle, and
installed in a fresh venv outside the checkout, `livecart serve` from another directory serves a watch
page that loads in Chromium without a console error. A build without the bundle stops and says why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from tests.browser.harness import CHROMIUM_FLAGS, Pages
from tests.conftest import ServerProcess, start_server, stop_process
from tests.support import ADMIN_TOKEN, need_binary

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = "livecart/static/vendor/socket.io.msgpack.min.js"
NODE_BUNDLE = "socket.io-client/dist/socket.io.msgpack.min.js"
BUNDLE_STATUS = """performance.getEntriesByType("resource")
  .find((entry) => entry.name.endsWith("/vendor/socket.io.msgpack.min.js"))?.responseStatus"""
# What a build copies from the checkout: everything but what the checkout makes (venv, caches, builds).
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "test-artifacts",
    "vendor",
    "*.db*",
)


def copy_source(destination: Path) -> Path:
    """The checkout's sources in `destination` (the build must not need, or write into, the checkout)."""
    shutil.copytree(ROOT, destination, ignore=NOT_SOURCE, symlinks=True)
    return destination


def build_wheel(source: Path, out: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`pip wheel` with this venv's setuptools: no build isolation, no dependencies, nothing downloaded."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--verbose",  # the build's own output, warnings included
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def fresh_venv(directory: Path) -> Path:
    """A new venv whose own site-packages comes first; the test venv's site-packages is appended (by a
    .pth) only for the dependencies. Its .pth files (our editable install) are not read from there."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], check=True, timeout=120)
    python = directory / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    (Path(site) / "livecart-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def api(base: str, method: str, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        reply: dict[str, Any] = json.load(response)
        return reply


@pytest.fixture
def installed_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    """The wheel built from a copy of the checkout, installed in a fresh venv in tmp_path, and its
    `livecart serve` started in another directory; yields the server and a scheduled show's id."""
    source = copy_source(tmp_path / "source")
    (source / "node_modules").symlink_to(ROOT / "node_modules")
    built = build_wheel(source, tmp_path / "dist")
    assert built.returncode == 0, built.stdout + built.stderr
    assert "Warning" not in built.stdout + built.stderr  # e.g. setuptools' deprecation of license metadata
    [wheel] = (tmp_path / "dist").glob("livecart-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert archive.read(BUNDLE) == (ROOT / "node_modules" / NODE_BUNDLE).read_bytes()
    assert {"livecart/static/watch.html", "livecart/static/js/watch.js", "livecart/static/css/livecart.css"} <= names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)

    python = fresh_venv(tmp_path / "venv")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    where = subprocess.run(
        [str(python), "-c", "import livecart.web as web; print(web.__file__); print(web.SOCKET_IO_BUNDLE)"],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    module, bundle = (Path(path) for path in where)
    assert module.is_relative_to(tmp_path / "venv"), module  # the installed package, not the checkout
    assert bundle == module.parent / "static" / "vendor" / Path(BUNDLE).name

    server = start_server(tmp_path, env, command=[str(python.parent / "livecart")], cwd=elsewhere)
    try:
        host = api(server.url, "POST", "/api/hosts", ADMIN_TOKEN, {"name": "Mia Live"})
        show = api(server.url, "POST", "/api/shows", host["token"], {"title": "Wheel Night"})
        yield server, show["id"]
    finally:
        stop_process(server.process)


@pytest.mark.browser
async def test_the_installed_wheel_serves_a_working_watch_page_from_any_directory(
    installed_server: tuple[ServerProcess, str],
) -> None:
    chromium = need_binary("chromium", "chromium-browser")
    server, show_id = installed_server
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
        pages = Pages(browser, server.url)
        try:
            page = await pages.open(f"/watch/{show_id}")
            await expect(page.locator("#show-title")).to_have_text("Wheel Night")
            await expect(page.locator("#viewers")).to_have_text("1 watching")  # joined over Socket.IO
            bundle_status = await page.evaluate(BUNDLE_STATUS)
        finally:
            await pages.close()
            await browser.close()
    assert bundle_status == 200
    pages.assert_no_console_errors()


def test_a_build_without_the_bundle_and_without_npm_stops_and_says_what_to_do(tmp_path: Path) -> None:
    source = copy_source(tmp_path / "source")
    no_npm = tmp_path / "bin"
    no_npm.mkdir()
    (no_npm / "python3").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(no_npm)}
    built = build_wheel(source, tmp_path / "dist", env)
    assert built.returncode != 0
    assert "Install Node.js/npm and run `npm ci`" in built.stdout + built.stderr
    assert not list((tmp_path / "dist").glob("*.whl"))
