"""docs/architecture.md points at files that exist: every path in backticks, and every
``path::name`` at a name defined in that file."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
# A backticked path: a top-level folder of the repository, or a file at its root.
PATH = re.compile(r"`((?:matcher|tests|scripts|docs|data|migrations)/[^`\s:]*"
                  r"|[\w.-]+\.(?:py|md|toml|txt))(?:::(\w+))?`")


def _defined(path: Path) -> set[str]:
    """Top-level functions, classes and assignments of a module, and methods of its classes."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def test_the_doc_names_paths():
    assert len(PATH.findall(DOC.read_text(encoding="utf-8"))) > 50


def test_every_path_and_name_exists():
    missing = []
    for path, name in PATH.findall(DOC.read_text(encoding="utf-8")):
        target = ROOT / path
        if not target.exists():
            missing.append(path)
        elif name and name not in _defined(target):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"
