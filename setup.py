"""Build hook: a built wheel carries the browser's Socket.IO bundle, copied at build time from
node_modules/ (npm, package-lock.json) into the wheel's livecart/static/vendor/. Never fetched from a
CDN and never committed; metadata is in pyproject.toml.

When node_modules/ lacks the bundle and npm is on PATH, the build runs `npm ci` first (as `make setup`
does); without npm it stops with a message saying what to install. Editable installs (`pip install -e`,
`make setup`) copy nothing: livecart/web.py serves the bundle from the checkout's node_modules/.

It also compiles the relay's optional C fast path, `livecart.media._fastsend` (RTP headers, SRTP with
OpenSSL's libcrypto, sendmmsg/GSO; docs/media.md). It needs gcc, the Python headers and libssl-dev; when
any is missing the build warns and goes on without it, and the relay uses its pure-Python path.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

ROOT = Path(__file__).resolve().parent
NODE_MODULES = ROOT / "node_modules"
# File name in livecart/static/vendor/ -> its source under node_modules/ (web.py serves the .js files).
VENDOR_FILES = {
    "socket.io.msgpack.min.js": "socket.io-client/dist/socket.io.msgpack.min.js",
    "socket.io-client.LICENSE": "socket.io-client/LICENSE",
}
NPM_CI = ["npm", "ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"]


def missing_vendor_files() -> list[Path]:
    return [NODE_MODULES / source for source in VENDOR_FILES.values() if not (NODE_MODULES / source).is_file()]


def ensure_node_modules() -> None:
    """The bundle in node_modules/, installed by `npm ci` when it is missing and npm is there."""
    missing = missing_vendor_files()
    if not missing:
        return
    npm = shutil.which("npm")
    if npm is None or not (ROOT / "package-lock.json").is_file():
        raise SetupError(
            f"livecart: the wheel needs the Socket.IO browser bundle, and {missing[0]} is missing. "
            "Install Node.js/npm and run `npm ci` (or `make setup`) in the source directory, then build again."
        )
    print(f"livecart: {missing[0]} is missing: running `{' '.join(NPM_CI)}` in {ROOT}", flush=True)
    result = subprocess.run([npm, *NPM_CI[1:]], cwd=ROOT, check=False)
    still_missing = missing_vendor_files()
    if result.returncode != 0 or still_missing:
        raise SetupError(
            f"livecart: `npm ci` exited with {result.returncode} and {(still_missing or missing)[0]} is missing; "
            "run `npm ci` in the source directory, then build again."
        )


class BuildPyWithVendor(build_py):
    """build_py, then the front-end bundle into the build's livecart/static/vendor/."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        ensure_node_modules()
        vendor = Path(self.build_lib) / "livecart" / "static" / "vendor"
        vendor.mkdir(parents=True, exist_ok=True)
        for name, source in VENDOR_FILES.items():
            shutil.copyfile(NODE_MODULES / source, vendor / name)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs: list[str] = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        vendor = Path(self.build_lib) / "livecart" / "static" / "vendor"
        return [*outputs, *(str(vendor / name) for name in VENDOR_FILES)]


# Optional: a failed compile (no compiler, no Python or OpenSSL headers) is a warning, not an error.
FASTSEND = Extension(
    "livecart.media._fastsend",
    sources=["livecart/media/_fastsend.c"],
    libraries=["crypto"],
    extra_compile_args=["-O2", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wno-missing-braces"],
    optional=True,
)


class BuildExtOptional(build_ext):
    """build_ext that says, when the C fast path cannot be built, what to install to get it."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # optional=True covers compile errors; this covers a missing compiler
            print(
                f"livecart: the C fast path was not built ({exc}); the relay will use its Python path. "
                "Install gcc, python3-dev and libssl-dev, then reinstall, to build it.",
                flush=True,
            )

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(
                f"livecart: the C fast path was not built ({exc}); the relay will use its Python path. "
                "Install gcc, python3-dev and libssl-dev, then reinstall, to build it.",
                flush=True,
            )


setup(cmdclass={"build_py": BuildPyWithVendor, "build_ext": BuildExtOptional}, ext_modules=[FASTSEND])
