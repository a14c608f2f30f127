"""Each file says what it is for in its first line: every livecart/**/*.py has a module docstring whose
first line is a sentence, and every page script (livecart/static/js/*.js) starts with a comment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "livecart"
MODULES = sorted(PACKAGE.rglob("*.py"))
SCRIPTS = sorted((PACKAGE / "static" / "js").glob("*.js"))


def name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_the_package_and_its_scripts_are_found() -> None:
    assert PACKAGE / "__init__.py" in MODULES
    assert PACKAGE / "static" / "js" / "watch.js" in SCRIPTS


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_every_module_starts_with_a_docstring_saying_what_it_is_for(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    assert docstring, f"{name(path)} has no module docstring"
    first_line = docstring.splitlines()[0].strip()
    words = first_line.replace("`", " ").split()
    assert len(words) >= 2, f"{name(path)}: the docstring's first line says too little: {first_line!r}"
    assert first_line.rstrip(".") != path.stem, f"{name(path)}: the docstring's first line only names the file"


@pytest.mark.parametrize("path", SCRIPTS, ids=name)
def test_every_page_script_starts_with_a_comment_saying_what_it_is_for(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines() or [""]
    first_line = lines[0]
    if first_line.startswith("//"):
        text = first_line.removeprefix("//")
    elif first_line.startswith("/*"):
        # A block comment may open on a line of its own ("/**"): its first text line says it then.
        text = first_line.removeprefix("/*").lstrip("*")
        if not text.strip() and len(lines) > 1:
            text = lines[1].strip().lstrip("*")
        text = text.removesuffix("*/")
    else:
        pytest.fail(f"{name(path)} does not start with a comment line: {first_line[:80]!r}")
    assert len(text.split()) >= 2, f"{name(path)}: the first comment line says too little: {first_line!r}"
