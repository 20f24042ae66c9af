"""checkov on the rendered manifests of every values set and on the Dockerfile: zero failed
checks. Findings that cannot be fixed are skipped where they apply, on the resource itself
(`checkov.io/skipN` annotations rendered by the chart, `#checkov:skip=` in the Dockerfile), each
with a written reason; this test pins that list so no new skip slips in unnoticed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, VALUE_SETS, load_values, render

# check id -> why it is skipped (the same reason is written next to the skip itself).
JUSTIFIED_SKIPS = {
    "CKV_K8S_43": "image digest: unknown before release; pinned when image.digest is set "
                  "(skipped only when it is empty)",
    "CKV_K8S_35": "secrets as env: librdkafka takes SASL/key passwords only as properties, "
                  "passed as RDKAFKA_* from secretKeyRef, never literals (only when such refs exist)",
    "CKV_DOCKER_2": "HEALTHCHECK: Kubernetes ignores it; the chart's probes cover /healthz and /readyz",
    "CKV_K8S_8": "liveness probe on the `helm test` Pod: a one-shot check with no server to probe",
    "CKV_K8S_9": "readiness probe on the `helm test` Pod: a one-shot check with no server to probe",
}
# Checks skipped on the `helm test` Pod only.
TEST_POD_ONLY = {"CKV_K8S_8", "CKV_K8S_9"}


def _checkov() -> str:
    beside = Path(sys.executable).with_name("checkov")
    found = str(beside) if beside.exists() else shutil.which("checkov")
    if not found:
        pytest.fail("checkov is not installed: run scripts/bootstrap (tests/chart/requirements.txt)")
    return found


@pytest.fixture(scope="module")
def checkov_results(tmp_path_factory) -> dict[str, dict]:
    """Runs checkov once per target, in parallel: each values set's rendered manifests (in a
    directory of their own, so graph checks such as CKV2_K8S_6 see only that release) and the
    Dockerfile."""
    base = tmp_path_factory.mktemp("checkov")
    env = {**os.environ, "LOG_LEVEL": "ERROR", "BC_SKIP_MAPPING": "TRUE"}
    # Not --quiet: it drops the skipped checks (and their reasons) from the JSON report.
    common = ["--compact", "--skip-download", "-o", "json"]
    procs = {}
    for name in VALUE_SETS:
        target = base / name
        target.mkdir()
        docs = render(load_values(name))
        (target / "manifests.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
        procs[name] = subprocess.Popen(
            [_checkov(), "-d", str(target), "--framework", "kubernetes", *common],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
    procs["Dockerfile"] = subprocess.Popen(
        [_checkov(), "-f", str(ROOT / "Dockerfile"), "--framework", "dockerfile", *common],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert out.strip(), f"checkov printed nothing for {name}: {err[-2000:]}"
        report = json.loads(out)
        reports = report if isinstance(report, list) else [report]
        results[name] = {
            "passed": sum(r.get("summary", {}).get("passed", 0) for r in reports),
            "failed": [c for r in reports for c in r.get("results", {}).get("failed_checks", [])],
            "skipped": [c for r in reports for c in r.get("results", {}).get("skipped_checks", [])],
        }
    return results


@pytest.mark.parametrize("target", VALUE_SETS + ["Dockerfile"])
def test_checkov_finds_nothing(checkov_results, target):
    result = checkov_results[target]
    assert result["passed"] > 20, f"checkov ran suspiciously few checks on {target}: {result}"
    failed = [f"{c['check_id']} {c['check_name']} ({c['resource']})" for c in result["failed"]]
    assert not failed, f"checkov failures on {target}:\n" + "\n".join(failed)


@pytest.mark.parametrize("target", VALUE_SETS + ["Dockerfile"])
def test_every_skip_is_justified(checkov_results, target):
    for check in checkov_results[target]["skipped"]:
        assert check["check_id"] in JUSTIFIED_SKIPS, f"unexpected skip of {check['check_id']} on {target}"
        reason = (check.get("check_result") or {}).get("suppress_comment") or ""
        assert len(reason) > 20, f"skip of {check['check_id']} on {target} carries no written reason"


def test_probe_skips_apply_only_to_the_test_pod(checkov_results):
    for target in VALUE_SETS:
        for check in checkov_results[target]["skipped"]:
            if check["check_id"] in TEST_POD_ONLY:
                assert check["resource"].startswith("Pod."), f"{check['check_id']} skipped on {check['resource']}"


def test_skips_apply_only_where_needed(checkov_results):
    # With a digest and secret env refs ("all"), the digest skip must be gone; without secret env
    # refs ("minimal") the env skip must be gone.
    all_ids = {c["check_id"] for c in checkov_results["all"]["skipped"]}
    minimal_ids = {c["check_id"] for c in checkov_results["minimal"]["skipped"]}
    assert "CKV_K8S_43" not in all_ids and "CKV_K8S_35" in all_ids
    assert "CKV_K8S_35" not in minimal_ids and "CKV_K8S_43" in minimal_ids
