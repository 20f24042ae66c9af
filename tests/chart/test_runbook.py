"""docs/RUNBOOK.md held against what it explains: every alert of the chart's PrometheusRule and every
reason `/readyz` gives has its section, read from the template and from the relay's source (as
test_config.py reads EnvironmentKey.swift), so a new alert or readiness condition cannot ship
without its runbook entry, and a renamed one cannot leave a stale section behind."""

from __future__ import annotations

import re

from conftest import CHART_DIR, ROOT

RUNBOOK = ROOT / "docs" / "RUNBOOK.md"
PROMETHEUS_RULE = CHART_DIR / "templates" / "prometheusrule.yaml"
OPS_SWIFT = ROOT / "Sources" / "Relay" / "Ops"
ALERTS_SECTION = "Alerts"
READYZ_SECTION = "`/readyz`: every reason it gives"


# --- what the chart and the relay have, read from their source ---------------------------------


def chart_alerts() -> set[str]:
    """Every `- alert:` of the PrometheusRule template (each can be turned off in values, so the
    template, not a render, is the full list)."""
    alerts = set(re.findall(r"^\s*- alert: (\w+)\s*$", PROMETHEUS_RULE.read_text(encoding="utf-8"), re.MULTILINE))
    assert len(alerts) >= 5, "no `- alert:` found in templates/prometheusrule.yaml"
    return alerts


def readiness_reasons() -> set[str]:
    """The `/readyz` JSON keys readiness depends on: the fields `RelayHealth.Snapshot.isReady` reads,
    spelled as `OpsServer.Readiness.CodingKeys` writes them."""
    health = (OPS_SWIFT / "RelayHealth.swift").read_text(encoding="utf-8")
    expression = re.search(r"var isReady: Bool \{(.*?)\}", health, re.DOTALL)
    assert expression, "RelayHealth.Snapshot.isReady not found"
    snapshot_fields = set(re.findall(r"public var (\w+):", health))
    fields = set(re.findall(r"\b([a-z]\w*)\b", expression.group(1))) & snapshot_fields
    assert len(fields) >= 3, f"isReady reads no Snapshot field: {expression.group(1)!r}"

    routes = (OPS_SWIFT / "OpsServer+Routes.swift").read_text(encoding="utf-8")
    keys_block = re.search(r"struct Readiness\b.*?enum CodingKeys: String, CodingKey \{(.*?)\}", routes, re.DOTALL)
    assert keys_block, "OpsServer.Readiness.CodingKeys not found"
    json_keys = {name: raw or name for name, raw in re.findall(r'case (\w+)(?: = "(\w+)")?', keys_block.group(1))}
    missing = fields - set(json_keys)
    assert not missing, f"readiness fields not in /readyz's body: {sorted(missing)}"
    return {json_keys[field] for field in fields}


# --- what the runbook has ----------------------------------------------------------------------


def runbook_subsections() -> dict[str, list[str]]:
    """The `###` headings of docs/RUNBOOK.md under each `##` heading (fenced code skipped: its `#`
    lines are shell comments)."""
    sections: dict[str, list[str]] = {}
    current = ""
    fenced = False
    for line in RUNBOOK.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("## "):
            current = line[3:].strip()
            sections.setdefault(current, [])
        elif not fenced and line.startswith("### "):
            sections.setdefault(current, []).append(line[4:].strip())
    return sections


def readyz_heading_key(heading: str) -> str | None:
    """The JSON key a `/readyz` heading is about: ``### `"held_partitions": "…"` `` → held_partitions."""
    match = re.match(r'`"(\w+)":', heading)
    return match.group(1) if match else None


# --- the checks --------------------------------------------------------------------------------


def test_every_alert_has_its_runbook_section_and_every_section_an_alert():
    sections = runbook_subsections()
    assert ALERTS_SECTION in sections, f"docs/RUNBOOK.md has no `## {ALERTS_SECTION}`"
    # The heading is the alert's name exactly: prometheusRule.runbookUrl links each alert to
    # `#<alert name in lower case>`, the anchor of that heading.
    headings = set(sections[ALERTS_SECTION])
    alerts = chart_alerts()
    assert not alerts - headings, f"alerts without a `### <name>` in RUNBOOK.md's Alerts: {sorted(alerts - headings)}"
    assert not headings - alerts, f"RUNBOOK.md's Alerts explains alerts the chart lacks: {sorted(headings - alerts)}"


def test_every_readyz_reason_has_its_runbook_section_and_every_section_a_reason():
    sections = runbook_subsections()
    assert READYZ_SECTION in sections, f"docs/RUNBOOK.md has no `## {READYZ_SECTION}`"
    headings = sections[READYZ_SECTION]
    explained = {readyz_heading_key(heading) for heading in headings}
    reasons = readiness_reasons()
    assert not reasons - explained, f"/readyz reasons without a section in RUNBOOK.md: {sorted(reasons - explained)}"
    assert not explained - reasons, f"RUNBOOK.md's /readyz sections name no reason: {sorted(map(str, explained - reasons))}"


def test_the_parsers_find_what_the_relay_has_today():
    # A parser that silently found less would make the checks above pass vacuously.
    assert readiness_reasons() == {"joined_group", "systemic_failure", "held_partitions", "draining", "fatal"}
    assert {"ReferralRelaySystemicFailure", "ReferralRelayConsumerLagHigh", "ReferralRelayNoProgress"} <= chart_alerts()
