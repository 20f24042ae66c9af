"""Shared helpers of the chart tests: render the chart with Helm's own engine (helm-python-sdk,
Helm v4's Go SDK in-process: no helm binary, no cluster, no network) and read the relay's
environment contract from the Swift source."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = ROOT / "helm" / "referral-relay"
HERE = Path(__file__).resolve().parent
ENVIRONMENT_KEY_SWIFT = ROOT / "Sources" / "Relay" / "Configuration" / "EnvironmentKey.swift"
CONFIGURATION_SWIFT = ROOT / "Sources" / "Relay" / "Configuration"
# RelayMetrics.swift and its extensions (the names live in RelayMetrics+Name.swift).
RELAY_METRICS_SWIFT = sorted((ROOT / "Sources" / "Relay" / "Ops").glob("RelayMetrics*.swift"))
# The two gauges the alerts and dashboard were written against before they landed (they are
# exported now; kept so the check does not depend on where they are declared).
NEW_GAUGES = {"relay_consumer_lag", "relay_oldest_unsettled_age_seconds"}

RELEASE = "relay"
NAMESPACE = "referral"
# The Kubernetes version rendered manifests are linted and validated against: a version
# kubernetes-validate ships schemas for, and the chart's kubeVersion allows.
KUBE_VERSION = "1.33.0"
# Built-in kinds are also validated against the oldest version the chart's kubeVersion allows.
KUBE_VERSIONS = ["1.25.0", KUBE_VERSION]

# Values sets every render/lint/validate/checkov test runs on.
VALUE_SETS = ["minimal", "all", "hpa"]


def load_values(name: str) -> dict[str, Any]:
    with open(HERE / f"values-{name}.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


_chart: helm.Chart | None = None


def chart() -> helm.Chart:
    global _chart
    if _chart is None:
        _chart = helm.Chart.load(CHART_DIR)
    return _chart


def render_templates(values: dict[str, Any]) -> dict[str, str]:
    """Render as `helm install` would (schema validation included); template path -> text."""
    return chart().render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Every rendered Kubernetes object, NOTES.txt excluded."""
    docs: list[dict[str, Any]] = []
    for path, text in sorted(render_templates(values).items()):
        if not path.endswith((".yaml", ".yml")):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc.setdefault("metadata", {}).setdefault("annotations", None)
                if doc["metadata"]["annotations"] is None:
                    del doc["metadata"]["annotations"]
                docs.append(doc)
    return docs


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = by_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def workloads(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Everything that runs the relay's image: the Deployment, the Jobs and the `helm test` Pod."""
    return [d for d in docs if d["kind"] in ("Deployment", "Job", "Pod")]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"] if workload["kind"] == "Pod" else workload["spec"]["template"]["spec"]


def pod_metadata(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["metadata"] if workload["kind"] == "Pod" else workload["spec"]["template"]["metadata"]


def is_hook(doc: dict[str, Any]) -> bool:
    return "helm.sh/hook" in (doc["metadata"].get("annotations") or {})


def config_of(docs: list[dict[str, Any]], workload: dict[str, Any]) -> dict[str, Any]:
    """The config.yaml a workload reads, found through its `--config` argument and its mounts."""
    container = containers(workload)[0]
    args = container["args"]
    path = args[args.index("--config") + 1]
    mount = next(m for m in container["volumeMounts"] if path == f"{m['mountPath']}/config.yaml")
    volume = next(v for v in pod_spec(workload)["volumes"] if v["name"] == mount["name"])
    cm = next(d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"] == volume["configMap"]["name"])
    return yaml.safe_load(cm["data"]["config.yaml"])


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = [e["name"] for e in container.get("env", [])]
    assert len(names) == len(set(names)), f"duplicate env names: {names}"
    return {e["name"]: e for e in container.get("env", [])}


def environment_contract() -> tuple[set[str], str]:
    """The env names the relay reads and its librdkafka passthrough prefix, parsed from
    EnvironmentKey.swift (the source of truth)."""
    source = ENVIRONMENT_KEY_SWIFT.read_text(encoding="utf-8")
    names = set(re.findall(r'^\s*case\s+\w+\s*=\s*"([A-Z0-9_]+)"', source, re.MULTILINE))
    prefix = re.search(r'librdkafkaPropertyPrefix\s*=\s*"([^"]+)"', source)
    assert names, "no `case … = \"NAME\"` found in EnvironmentKey.swift"
    assert prefix, "librdkafkaPropertyPrefix not found in EnvironmentKey.swift"
    return names, prefix.group(1)


def relay_metric_names() -> set[str]:
    """The series names the relay exports: RelayMetrics.Name's constants (a timer is exported as a
    histogram: _bucket, _sum and _count), plus NEW_GAUGES."""
    source = "\n".join(path.read_text(encoding="utf-8") for path in RELAY_METRICS_SWIFT)
    constants = dict(re.findall(r'static let (\w+) = "(relay_\w+)"', source))
    assert len(constants) >= 10, "RelayMetrics.Name's constants not found"
    names = set(constants.values())
    for constant in re.findall(r"self\.timer\(Name\.(\w+)", source):
        names.discard(constants[constant])  # a histogram has no series of its bare name
        names |= {constants[constant] + suffix for suffix in ("_bucket", "_sum", "_count")}
    return names | NEW_GAUGES


@pytest.fixture(scope="session", params=VALUE_SETS)
def value_set(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    values = load_values(request.param)
    return request.param, values, render(values)
