"""The chart README's values table is what scripts/chart-values-table generates from values.yaml."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
from typing import Any

import pytest
import yaml

from conftest import CHART_DIR, ROOT

SCRIPT = ROOT / "scripts" / "chart-values-table"
VALUES_TEXT = (CHART_DIR / "values.yaml").read_text(encoding="utf-8")
README = (CHART_DIR / "README.md").read_text(encoding="utf-8")


def load_script():
    loader = importlib.machinery.SourceFileLoader("chart_values_table", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


TABLE = load_script()


def test_readme_table_is_up_to_date():
    """Drift check: edit values.yaml's `# --` comments, then run scripts/chart-values-table --write."""
    wanted = TABLE.with_table(README, TABLE.table(VALUES_TEXT))
    assert wanted == README, "the values table in helm/referral-relay/README.md is stale: run scripts/chart-values-table --write"


def test_check_mode_fails_on_a_stale_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(README, encoding="utf-8")
    ok = subprocess.run([sys.executable, str(SCRIPT), "--check", "--readme", str(readme)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    readme.write_text(README.replace("| replicaCount | int | `2` |", "| replicaCount | int | `3` |"), encoding="utf-8")
    stale = subprocess.run([sys.executable, str(SCRIPT), "--check", "--readme", str(readme)], capture_output=True, text=True)
    assert stale.returncode == 1 and "--write" in stale.stderr
    fixed = subprocess.run([sys.executable, str(SCRIPT), "--write", "--readme", str(readme)], capture_output=True, text=True)
    assert fixed.returncode == 0 and readme.read_text(encoding="utf-8") == README


def _leaves(values: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(values, dict) and values:
        out: dict[str, Any] = {}
        for key, value in values.items():
            out.update(_leaves(value, f"{prefix}.{key}" if prefix else key))
        return out
    return {prefix: values}


def test_every_value_has_one_documented_row_with_its_default():
    """Each leaf of values.yaml is a row, or inside a documented block that is one; the reader's
    defaults equal PyYAML's."""
    rows = TABLE.rows(VALUES_TEXT)
    keys = [r.key for r in rows]
    assert len(keys) == len(set(keys))
    values = yaml.safe_load(VALUES_TEXT)
    for row in rows:
        assert row.description, f"{row.key} has no `# --` description"
        node = values
        for part in row.key.split("."):
            node = node[part]
        assert row.default == node, row.key
    for leaf in _leaves(values):
        assert any(leaf == k or leaf.startswith(k + ".") for k in keys), f"{leaf} is in no row of the table"


def test_types_are_declared_or_inferred():
    rows = {r.key: r for r in TABLE.rows(VALUES_TEXT)}
    assert rows["replicaCount"].type == "int"
    assert rows["relay.qualifyingMilestones"].type == "list"
    assert rows["podSecurityContext"].type == "object"
    assert rows["prometheusRule.alerts.rejectRatio.threshold"].type == "float"
    # Empty defaults say their type in the comment: `# -- (int) …`.
    assert rows["terminationGracePeriodSeconds"].type == "int"
    assert rows["keda.fallback.replicas"].type == "int"


def test_descriptions_survive_markdown():
    table = TABLE.table(VALUES_TEXT)
    assert "&lt;release&gt;" in table  # not an HTML tag Markdown would drop
    assert "`.`-&gt;`_`" in table  # code spans are left alone, the text between them escaped
    assert all(line.count(" | ") - line.count("\\|") >= 3 for line in table.splitlines()[2:])


@pytest.mark.parametrize(
    "text,message",
    [
        ("a: &anchor 1\n", "unsupported YAML"),
        ("a:\n  - [1, [2]]\n", "flat flow lists"),
        ("a: 1\n  b: 2\n", "a key with a value and a block"),
    ],
)
def test_unsupported_yaml_is_refused(text, message):
    with pytest.raises(TABLE.ValuesError, match=message):
        TABLE.rows(text)
