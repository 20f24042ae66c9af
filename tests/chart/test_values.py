"""values.yaml and values.schema.json stay in step, and every default key is documented."""

from __future__ import annotations

import json
import re

import yaml

from conftest import CHART_DIR

VALUES_TEXT = (CHART_DIR / "values.yaml").read_text(encoding="utf-8")
VALUES = yaml.safe_load(VALUES_TEXT)
SCHEMA = json.loads((CHART_DIR / "values.schema.json").read_text(encoding="utf-8"))

# Free-form maps whose keys are Kubernetes fields or user data, not chart options.
FREE_FORM = {"podSecurityContext", "securityContext", "updateStrategy", "resources", "behavior"}


def _walk(values: dict, schema: dict, path: str = ""):
    props = schema.get("properties")
    if props is None:
        return
    for key, value in values.items():
        where = f"{path}.{key}".lstrip(".")
        assert key in props, f"values.yaml has {where}, the schema does not declare it"
        if isinstance(value, dict) and key not in FREE_FORM:
            _walk(value, props[key], where)
    for key in props:
        if key != "global":
            assert key in values, f"the schema declares {path}.{key}, values.yaml has no default".lstrip(".")


def test_schema_declares_every_default_and_nothing_more():
    _walk(VALUES, SCHEMA)


def test_every_option_is_documented():
    """Each key line in values.yaml has a comment right above it, unless it is a child of a
    documented free-form block or a group heading whose children are documented."""
    lines = VALUES_TEXT.splitlines()
    undocumented = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)([A-Za-z][\w.-]*):(.*)$", line)
        if not m or i == 0:
            continue
        indent, key, rest = m.groups()
        is_group = rest.strip() == "" and i + 1 < len(lines) and len(lines[i + 1]) - len(lines[i + 1].lstrip()) > len(indent)
        previous = lines[i - 1].strip()
        if previous.startswith("#") or is_group:
            continue
        # Children of a documented block (e.g. resources.requests.cpu) inherit its comment.
        parent_documented = False
        level = len(indent)
        for j in range(i - 1, -1, -1):
            pm = re.match(r"^(\s*)([A-Za-z][\w.-]*):", lines[j])
            if pm and len(pm.group(1)) < level:
                level = len(pm.group(1))
                if j > 0 and lines[j - 1].strip().startswith("#"):
                    parent_documented = True
                    break
        if not parent_documented:
            undocumented.append(f"line {i + 1}: {key}")
    assert not undocumented, "undocumented values:\n" + "\n".join(undocumented)
