"""The PrometheusRule: rendered by the chart, checked and unit-tested with promtool.

The rule's `spec.groups` is written to a plain rules file (`rules.yaml`) beside copies of the
unit tests in tests/chart/alerts/ (release `relay` in namespace `referral`, default values), and
promtool runs `check rules` and `test rules` on them. Every metric an alert reads is one the relay
exports (Sources/Relay/Ops/RelayMetrics.swift) or one of the two gauges named below.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

from conftest import HERE, by_kind, deep_merge, load_values, one, relay_metric_names, render

MINIMAL = load_values("minimal")
ENABLED = deep_merge(MINIMAL, {"prometheusRule": {"enabled": True}})
ALERT_TESTS = HERE / "alerts"
ALERTS = {
    "systemicFailure": "ReferralRelaySystemicFailure",
    "consumerLag": "ReferralRelayConsumerLagHigh",
    "eventHeld": "ReferralRelayEventHeldTooLong",
    "deadLetters": "ReferralRelayDeadLetters",
    "rejectRatio": "ReferralRelayRejectRatioHigh",
    "commitFailures": "ReferralRelayCommitFailures",
    "retryStorm": "ReferralRelayRetryStorm",
    "noProgress": "ReferralRelayNoProgress",
}


def promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        pytest.skip("promtool is not installed (Debian package `prometheus`, installed by scripts/bootstrap)")
    return found


def rules(values: dict[str, Any]) -> list[dict[str, Any]]:
    """The alerting rules of the rendered PrometheusRule, in order."""
    groups = one(render(values), "PrometheusRule")["spec"]["groups"]
    return [rule for group in groups for rule in group["rules"]]


def write_rules(values: dict[str, Any], directory: Path) -> Path:
    path = directory / "rules.yaml"
    rule = one(render(values), "PrometheusRule")
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}, sort_keys=False), encoding="utf-8")
    return path


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


# --- on, off, and what it selects -------------------------------------------------------------


def test_off_by_default():
    assert not by_kind(render(MINIMAL), "PrometheusRule")


def test_every_alert_is_rendered_and_can_be_turned_off():
    assert [r["alert"] for r in rules(ENABLED)] == list(ALERTS.values())
    for key, name in ALERTS.items():
        off = deep_merge(ENABLED, {"prometheusRule": {"alerts": {key: {"enabled": False}}}})
        names = [r["alert"] for r in rules(off)]
        assert name not in names and len(names) == len(ALERTS) - 1, key


def test_selector_defaults_to_the_release_and_can_be_set():
    for rule in rules(ENABLED):
        for selector in re.findall(r"relay_\w+\{([^}]*)\}", rule["expr"]):
            assert selector.startswith('namespace="referral",job="relay-referral-relay"'), rule["alert"]
    custom = deep_merge(ENABLED, {"prometheusRule": {"selector": 'cluster="eu",service="relay"'}})
    for rule in rules(custom):
        selectors = re.findall(r"relay_\w+\{([^}]*)\}", rule["expr"])
        assert selectors and all(s.startswith('cluster="eu",service="relay"') for s in selectors), rule["alert"]


def test_thresholds_windows_for_and_labels_come_from_values():
    values = deep_merge(ENABLED, {"prometheusRule": {
        "labels": {"release": "kube-prometheus-stack"},
        "additionalLabels": {"team": "growth"},
        "runbookUrl": "https://runbooks.example/relay",
        "alerts": {
            "consumerLag": {"threshold": 5000, "for": "30m", "severity": "critical"},
            "deadLetters": {"threshold": 25, "window": "1h"},
            "retryStorm": {"ratio": 3, "minRate": 0.5, "window": "10m"},
            "noProgress": {"window": "30m"},
        },
    }})
    doc = one(render(values), "PrometheusRule")
    assert doc["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    by_name = {r["alert"]: r for r in rules(values)}
    lag = by_name["ReferralRelayConsumerLagHigh"]
    assert lag["expr"].rstrip().endswith("> 5000") and lag["for"] == "30m"
    assert lag["labels"] == {"severity": "critical", "team": "growth"}
    assert lag["annotations"]["runbook_url"] == "https://runbooks.example/relay#referralrelayconsumerlaghigh"
    assert "[1h]" in by_name["ReferralRelayDeadLetters"]["expr"]
    assert by_name["ReferralRelayDeadLetters"]["expr"].rstrip().endswith("> 25")
    storm = by_name["ReferralRelayRetryStorm"]["expr"]
    assert ">= 0.5" in storm and "> 3\n" in storm and "[10m]" in storm and "[5m]" not in storm
    assert "offset 30m" in by_name["ReferralRelayNoProgress"]["expr"]
    for rule in rules(ENABLED):
        assert "runbook_url" not in rule["annotations"]


@pytest.mark.parametrize(
    "override,path",
    [
        ({"alerts": {"consumerLag": {"for": "15 minutes"}}}, "/prometheusRule/alerts/consumerLag/for"),
        ({"alerts": {"rejectRatio": {"threshold": 5}}}, "/prometheusRule/alerts/rejectRatio/threshold"),
        ({"alerts": {"deadLetters": {"window": ""}}}, "/prometheusRule/alerts/deadLetters/window"),
        ({"alerts": {"typo": {}}}, "typo"),
        ({"selector": '{job="x"}'}, "/prometheusRule/selector"),
    ],
)
def test_bad_alert_values_fail_schema(override, path):
    with pytest.raises(helm.HelmValuesError, match=re.escape(path)):
        render(deep_merge(ENABLED, {"prometheusRule": override}))


def test_alerts_read_only_metrics_the_relay_exports():
    known = relay_metric_names()
    for rule in rules(ENABLED):
        used = set(re.findall(r"\b(relay_[a-z_]+)\b", rule["expr"]))
        assert used, rule["alert"]
        assert used <= known, f"{rule['alert']} reads metrics the relay does not export: {used - known}"


# --- promtool ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def alert_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("alerts")
    write_rules(ENABLED, directory)
    for test_file in sorted(ALERT_TESTS.glob("*.test.yaml")):
        shutil.copy(test_file, directory / test_file.name)
    return directory


def test_promtool_check_rules(alert_dir):
    result = run([promtool(), "check", "rules", "rules.yaml"], alert_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


@pytest.mark.parametrize("test_file", sorted(p.name for p in ALERT_TESTS.glob("*.test.yaml")))
def test_promtool_unit_tests(alert_dir, test_file):
    result = run([promtool(), "test", "rules", test_file], alert_dir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_tests_that_fire_it_and_that_must_not():
    fires: set[str] = set()
    silent: set[str] = set()
    for test_file in ALERT_TESTS.glob("*.test.yaml"):
        spec = yaml.safe_load(test_file.read_text(encoding="utf-8"))
        assert spec["rule_files"] == ["rules.yaml"], test_file.name
        for test in spec["tests"]:
            for case in test["alert_rule_test"]:
                (fires if case.get("exp_alerts") else silent).add(case["alertname"])
    assert fires == set(ALERTS.values()), f"no firing test for {set(ALERTS.values()) - fires}"
    assert silent == set(ALERTS.values()), f"no must-not-fire test for {set(ALERTS.values()) - silent}"
