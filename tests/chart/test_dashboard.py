"""The Grafana dashboard (helm/referral-relay/dashboards/referral-relay.json) and its ConfigMap."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from conftest import CHART_DIR, by_kind, deep_merge, load_values, relay_metric_names, render

MINIMAL = load_values("minimal")
DASHBOARD_FILE = CHART_DIR / "dashboards" / "referral-relay.json"
DASHBOARD = json.loads(DASHBOARD_FILE.read_text(encoding="utf-8"))
DATASOURCE = "${datasource}"


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, those nested in collapsed rows included."""
    out = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, PromQL) of every panel target and every query variable."""
    out = [(f"panel {p['id']} {p['title']!r}", t["expr"]) for p in panels(dashboard) for t in p.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            out.append((f"variable {variable['name']}", variable["query"]["query"]))
    return out


def dashboard_configmap(values: dict[str, Any]) -> dict[str, Any]:
    found = [d for d in by_kind(render(values), "ConfigMap") if "referral-relay.json" in d.get("data", {})]
    assert len(found) == 1
    return found[0]


def test_panel_ids_are_unique_and_every_panel_has_a_query():
    ids = [p["id"] for p in panels(DASHBOARD)]
    assert len(ids) == len(set(ids)), ids
    for panel in panels(DASHBOARD):
        if panel["type"] != "row":
            assert panel.get("targets") and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
            assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"]), panel["title"]


def test_the_datasource_is_a_variable():
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for panel in panels(DASHBOARD):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": DATASOURCE}, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == DATASOURCE, panel["title"]
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"]["uid"] == DATASOURCE
    assert "${DS_" not in DASHBOARD_FILE.read_text(encoding="utf-8"), "no import-time placeholders: the sidecar does not fill them"


def test_queries_read_only_metrics_the_relay_exports():
    known = relay_metric_names()
    for where, expr in queries(DASHBOARD):
        used = set(re.findall(r"\b(relay_[a-z_]+)\b", expr))
        assert used, f"{where} reads no relay metric"
        assert used <= known, f"{where} reads metrics the relay does not export: {used - known}"


def test_queries_select_the_chosen_namespace_and_job():
    for where, expr in queries(DASHBOARD):
        if where.startswith("variable"):
            continue
        for selector in re.findall(r"relay_[a-z_]+\{([^}]*)\}", expr):
            assert 'namespace="$namespace"' in selector and 'job=~"$job"' in selector, where
        assert not re.search(r"relay_[a-z_]+(?![a-z_{])", expr.replace("$__rate_interval", "")), f"{where}: unselected metric"


def test_the_panels_the_operators_need_are_there():
    exprs = "\n".join(e for _, e in queries(DASHBOARD))
    assert re.search(r"sum by \(status\) \(rate\(relay_deliveries_total", exprs)
    assert "relay_dlq_records_total" in exprs and "relay_delivery_retries_total" in exprs
    for quantile in ("0.5", "0.99"):
        assert re.search(rf"histogram_quantile\({quantile}, sum by \(le[^)]*\) \(rate\(relay_http_request_duration_seconds_bucket", exprs)
    for metric in ("relay_in_flight", "relay_consumer_lag", "relay_oldest_unsettled_age_seconds",
                   "relay_assigned_partitions", "relay_systemic_failure", "relay_commits_total"):
        assert metric in exprs, metric


def test_queries_parse(tmp_path):
    """Each query, with Grafana's variables filled in, as a recording rule `promtool check rules`
    parses."""
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool is not installed (Debian package `prometheus`, installed by scripts/bootstrap)")
    rules = []
    for i, (where, expr) in enumerate(queries(DASHBOARD)):
        filled = expr.replace("$__rate_interval", "5m").replace("$namespace", "referral").replace("$job", "relay.*")
        if where.startswith("variable"):  # label_values(<selector>, <label>) is Grafana's, not PromQL
            filled = re.fullmatch(r"label_values\((.*), \w+\)", filled).group(1)
        rules.append({"record": f"dashboard:query_{i}", "expr": filled})
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the ConfigMap ----------------------------------------------------------------------------


def test_off_by_default():
    assert not [d for d in by_kind(render(MINIMAL), "ConfigMap") if "referral-relay.json" in d.get("data", {})]


def test_configmap_carries_the_file_and_the_sidecar_label():
    cm = dashboard_configmap(deep_merge(MINIMAL, {"grafanaDashboard": {"enabled": True}}))
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(cm["data"]["referral-relay.json"]) == DASHBOARD
    custom = deep_merge(MINIMAL, {"grafanaDashboard": {"enabled": True, "label": "grafana.com/dashboard",
                                                       "labelValue": "relay", "annotations": {"grafana_folder": "Referral"}}})
    cm = dashboard_configmap(custom)
    assert cm["metadata"]["labels"]["grafana.com/dashboard"] == "relay"
    assert "grafana_dashboard" not in cm["metadata"]["labels"]
    assert cm["metadata"]["annotations"] == {"grafana_folder": "Referral"}
