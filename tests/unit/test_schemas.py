"""The shared input schemas are neutral ground: no Flask, no ``api`` or ``web`` imports; the
pages never import the API; response schemas get the caller passed in, not from ``flask.g``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "matcher"


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            target = ".".join(p for p in (base, node.module or "") if p)
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "schemas").glob("*.py")), ids=lambda p: p.name)
def test_schemas_import_no_flask_api_or_web(path):
    bad = {name for name in _imports(path) if name.split(".")[0].startswith("flask")
           or name.startswith(("matcher.api", "matcher.web"))}
    assert not bad


@pytest.mark.parametrize("path", sorted((PACKAGE / "web").glob("*.py")), ids=lambda p: p.name)
def test_pages_do_not_import_the_api(path):
    assert not {name for name in _imports(path) if name.startswith("matcher.api")}


@pytest.mark.parametrize("path", sorted((PACKAGE / "api").glob("*.py")), ids=lambda p: p.name)
def test_api_schemas_do_not_read_flask_g(path):
    # Only the request plumbing in api/common.py may keep the caller on ``g``.
    if path.name == "common.py":
        return
    assert "flask.g" not in _imports(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree)
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                and n.value.id == "g" and n.attr == "api_user"]


def test_group_contact_is_dumped_for_the_viewer_passed_in_not_a_request_global():
    from types import SimpleNamespace

    from matcher.api.common import DumpContext
    from matcher.api.groups import GroupSchema

    group = SimpleNamespace(
        id=1, name="Côr", kind="choir", nation="wales", contact_name="Dafydd",
        contact_email="dafydd@example.org", contact_phone=None, safeguarding_scheme=None,
        safeguarding_status=None, safeguarding_expires_on=None)
    schema = GroupSchema(only=("id", "contact"))
    assert schema.dump(group)["contact"] is None  # no viewer: nothing private
    coordinator = SimpleNamespace(role="coordinator", nation="wales")
    with DumpContext({"viewer": coordinator}):
        assert schema.dump(group)["contact"]["email"] == "dafydd@example.org"
    with DumpContext({"viewer": SimpleNamespace(role="coordinator", nation="england")}):
        assert schema.dump(group)["contact"] is None
