"""The documentation holds: the README stays a short front page, every relative link in it and
in docs/ reaches a file (and a heading, when it names one), and the generated references are
what the code says today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from giliran.entrypoints.api.app import create_app
from giliran.entrypoints.reference import render_all

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def test_readme_is_a_front_page() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines: move detail to docs/"


@pytest.mark.parametrize("name", ["api.md", "configuration.md"])
def test_generated_references_are_current(name: str) -> None:
    committed = ROOT / "docs" / name
    expected = render_all(create_app())[name]
    assert committed.exists() and committed.read_text() == expected, (
        f"docs/{name} differs from what the code says: run make docs")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text())):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no such heading in {file.name}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to
    hyphens, and -1, -2 … after a repeated one."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", FENCE.sub("", page.read_text()), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        base, n = slug, 0
        while slug in found:
            n += 1
            slug = f"{base}-{n}"
        found.add(slug)
    return found


def test_the_docs_command_writes_and_checks(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from giliran.entrypoints.cli import app

    runner = CliRunner()
    wrote = runner.invoke(app, ["docs", "--out", str(tmp_path)])
    assert wrote.exit_code == 0, wrote.output
    for name in ("api.md", "configuration.md"):
        assert (tmp_path / name).read_text() == (ROOT / "docs" / name).read_text()
    assert runner.invoke(app, ["docs", "--out", str(tmp_path), "--check"]).exit_code == 0
    (tmp_path / "api.md").write_text("edited by hand\n")
    stale = runner.invoke(app, ["docs", "--out", str(tmp_path), "--check"])
    assert stale.exit_code == 1
    assert "api.md is out of date: run make docs" in stale.stderr
