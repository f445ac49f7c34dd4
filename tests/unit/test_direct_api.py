"""adapters/sql/direct.py runs intake's hot statements on the DBAPI cursor with SQLAlchemy's
public API only: a private attribute could change in any release `sqlalchemy>=2.0.30` allows."""

from __future__ import annotations

import ast
from pathlib import Path

import giliran.adapters.sql.direct as direct

# Underscored by design, documented public API: namedtuple's constructor from an iterable.
PUBLIC_WITH_UNDERSCORE = {"_make"}


def test_direct_statements_touch_no_private_attribute_of_anything_but_themselves() -> None:
    tree = ast.parse(Path(direct.__file__).read_text())
    private = sorted(
        f"line {node.lineno}: .{node.attr}" for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_")
        and not node.attr.startswith("__") and node.attr not in PUBLIC_WITH_UNDERSCORE
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    )
    assert private == [], f"private attributes used in direct.py: {private}"
