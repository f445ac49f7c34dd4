"""The domain imports the standard library and itself, nothing else: an allow-list, exact,
where the import-linter contract in pyproject.toml can only forbid the packages it knows."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import giliran.domain

DOMAIN = Path(giliran.domain.__file__).parent


def _imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    outside = sorted(
        f"{path.relative_to(DOMAIN)}: {name}"
        for path in sorted(DOMAIN.rglob("*.py")) for name in _imported(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "giliran.domain" and not name.startswith("giliran.domain.")
    )
    assert outside == []
    assert len(list(DOMAIN.rglob("*.py"))) > 10  # it looked at the domain
