"""The one-off Jobs: the backfill (`referral-relay backfill`) and the dead-letter re-drive
(`referral-relay dlq redrive`). Their command lines, the LIVE consumer group id they are given
(each command derives its own group from it), names that follow their pod template so a later
`helm upgrade` is never blocked by an immutable Job, and the checks on their values."""

from __future__ import annotations

import re
import shutil
from typing import Any

import helm_python as helm
import pytest
import yaml

from conftest import (
    CHART_DIR,
    NAMESPACE,
    RELEASE,
    by_kind,
    config_of,
    containers,
    deep_merge,
    load_values,
    one,
    render,
    render_templates,
)

MINIMAL = load_values("minimal")
ALL = load_values("all")
CONFIG = "/etc/referral-relay/config.yaml"
FROM = "2026-11-01T00:00:00Z"
TO = "2026-11-02T12:00:00Z"
BACKFILL = {"backfill": {"enabled": True, "name": "nov-outage", "from": FROM}}
REDRIVE = {"redrive": {"enabled": True, "name": "nov-outage"}}


def job(docs: list[dict[str, Any]], component: str) -> dict[str, Any]:
    found = [d for d in by_kind(docs, "Job") if d["metadata"]["labels"]["app.kubernetes.io/component"] == component]
    assert len(found) == 1, f"expected one {component} Job, got {len(found)}"
    return found[0]


def args(values: dict[str, Any], component: str) -> list[str]:
    return containers(job(render(values), component))[0]["args"]


def name(values: dict[str, Any], component: str) -> str:
    return job(render(values), component)["metadata"]["name"]


# --- command lines ----------------------------------------------------------------------------


def test_backfill_args_with_every_option():
    b = ALL["backfill"]
    assert args(ALL, "backfill") == [
        "backfill", "--from", b["from"], "--to", b["to"], "--name", b["name"],
        "--rate", str(b["rate"]), "--max-in-flight", str(b["maxInFlight"]),
        "--progress", "log", "--config", CONFIG,
    ]


def test_backfill_args_with_only_the_required_values():
    assert args(deep_merge(MINIMAL, BACKFILL), "backfill") == [
        "backfill", "--from", FROM, "--name", "nov-outage", "--progress", "log", "--config", CONFIG,
    ]


@pytest.mark.parametrize(
    "override,expected",
    [
        ({"to": TO}, ["--from", FROM, "--to", TO, "--name", "nov-outage"]),
        ({"dryRun": True}, ["--from", FROM, "--name", "nov-outage", "--dry-run"]),
        ({"rate": 250}, ["--from", FROM, "--name", "nov-outage", "--rate", "250"]),
        ({"rate": 1000000}, ["--from", FROM, "--name", "nov-outage", "--rate", "1000000"]),  # never 1e+06
        ({"maxInFlight": 32}, ["--from", FROM, "--name", "nov-outage", "--max-in-flight", "32"]),
        ({"dryRun": False, "rate": 0, "maxInFlight": 0}, ["--from", FROM, "--name", "nov-outage"]),
    ],
)
def test_backfill_optional_flags(override, expected):
    got = args(deep_merge(MINIMAL, deep_merge(BACKFILL, {"backfill": override})), "backfill")
    assert got == ["backfill", *expected, "--progress", "log", "--config", CONFIG]


def test_redrive_args_with_every_option():
    r = ALL["redrive"]
    assert args(ALL, "redrive") == [
        "dlq", "redrive", "--config", CONFIG, "--name", r["name"], "--stage", r["stage"],
        "--from", r["from"], "--to", r["to"], "--reason", r["reason"], "--dry-run", "--rate", str(r["rate"]),
    ]


def test_redrive_args_default_to_the_deliver_stage():
    assert args(deep_merge(MINIMAL, REDRIVE), "redrive") == [
        "dlq", "redrive", "--config", CONFIG, "--name", "nov-outage", "--stage", "deliver",
    ]
    both_stages = deep_merge(MINIMAL, deep_merge(REDRIVE, {"redrive": {"stage": ""}}))
    assert "--stage" not in args(both_stages, "redrive")


def test_redrive_reason_is_passed_verbatim():
    reason = r"^HTTP (500|502|503)\b.*'quoted' \"too\"$"
    got = args(deep_merge(MINIMAL, deep_merge(REDRIVE, {"redrive": {"reason": reason}})), "redrive")
    assert got[got.index("--reason") + 1] == reason


# --- the live consumer group ------------------------------------------------------------------


@pytest.mark.parametrize("component", ["backfill", "redrive"])
def test_jobs_get_the_live_group_id(component):
    """The command derives <groupId>-<component>-<name> itself: a derived id passed in would be
    derived again (<g>-backfill-<n>-backfill-<n>)."""
    docs = render(ALL)
    live = ALL["kafka"]["groupId"]
    j = job(docs, component)
    deployment = one(docs, "Deployment")
    assert "KAFKA_GROUP_ID" not in {e["name"] for e in containers(j)[0].get("env", [])}
    assert config_of(docs, j)["kafka"]["groupId"] == live
    assert config_of(docs, j) == config_of(docs, deployment), "the Job reads the relay's own config.yaml"
    assert "-backfill-" not in yaml.safe_dump(config_of(docs, j)) and "-redrive-" not in yaml.safe_dump(config_of(docs, j))
    run = ALL[component]["name"]
    assert j["metadata"]["annotations"]["referral-relay/consumer-group"] == f"{live}-{component}-{run}"
    assert j["metadata"]["labels"]["referral-relay/run-name"] == run
    assert j["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert containers(j)[0]["name"] == component


# --- names that never block an upgrade --------------------------------------------------------


@pytest.mark.parametrize("component", ["backfill", "redrive"])
def test_job_name_is_prefix_and_hash_of_its_pod_template(component):
    values = deep_merge(MINIMAL, deep_merge(BACKFILL, REDRIVE))
    got = name(values, component)
    assert re.fullmatch(rf"{RELEASE}-referral-relay-{component}-nov-outage-[0-9a-f]{{8}}", got), got
    assert name(values, component) == got, "rendering twice gives the same name"


CHANGES_TEMPLATE = {
    "backfill": [
        {"backfill": {"from": "2026-10-31T00:00:00Z"}},
        {"backfill": {"to": TO}},
        {"backfill": {"dryRun": True}},
        {"backfill": {"rate": 100}},
        {"backfill": {"maxInFlight": 8}},
        {"backfill": {"resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}},
    ],
    "redrive": [
        {"redrive": {"stage": "decode"}},
        {"redrive": {"from": FROM}},
        {"redrive": {"to": TO}},
        {"redrive": {"reason": "timeout"}},
        {"redrive": {"dryRun": True}},
        {"redrive": {"rate": 5}},
        {"redrive": {"resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}},
    ],
    "both": [
        {"image": {"tag": "9.9.9"}},
        {"relay": {"logLevel": "debug"}},  # the config.yaml the Job reads
        {"kafka": {"groupId": "other-group"}},
        {"podAnnotations": {"example.com/x": "y"}},
    ],
}
KEEPS_TEMPLATE = {
    "backfill": [
        {"backfill": {"ttlSecondsAfterFinished": 60}},
        {"backfill": {"backoffLimit": 5}},
        {"backfill": {"activeDeadlineSeconds": 3600}},
        {"redrive": {"rate": 5}},
    ],
    "redrive": [
        {"redrive": {"ttlSecondsAfterFinished": -1}},
        {"redrive": {"backoffLimit": 0}},
        {"redrive": {"activeDeadlineSeconds": 600}},
        {"backfill": {"to": TO}},
    ],
    "both": [
        {"replicaCount": 1},
        {"podDisruptionBudget": {"enabled": False}},
        {"networkPolicy": {"enabled": False}},
    ],
}


@pytest.mark.parametrize(
    "component,change",
    [(c, ch) for c in ("backfill", "redrive") for ch in CHANGES_TEMPLATE[c] + CHANGES_TEMPLATE["both"]],
)
def test_job_name_changes_with_its_pod_template(component, change):
    """A Job's pod template is immutable: a changed one must be a new Job (Helm then deletes the
    old one) rather than an in-place update the API server would refuse."""
    base = deep_merge(MINIMAL, deep_merge(BACKFILL, REDRIVE))
    changed = deep_merge(base, change)
    before, after = job(render(base), component), job(render(changed), component)
    assert before["spec"]["template"] != after["spec"]["template"], "the change must reach the pod template"
    assert before["metadata"]["name"] != after["metadata"]["name"]


@pytest.mark.parametrize(
    "component,change",
    [(c, ch) for c in ("backfill", "redrive") for ch in KEEPS_TEMPLATE[c] + KEEPS_TEMPLATE["both"]],
)
def test_job_name_stays_when_its_pod_template_does(component, change):
    """Mutable fields (TTL, backoffLimit, deadline) and other resources leave the Job as it is: a
    later upgrade patches it in place and does not start the run again."""
    base = deep_merge(MINIMAL, deep_merge(BACKFILL, REDRIVE))
    assert name(base, component) == name(deep_merge(base, change), component)


@pytest.mark.parametrize("component", ["backfill", "redrive"])
def test_job_name_fits_a_label_and_keeps_its_hash(component):
    values = deep_merge(
        MINIMAL,
        {"fullnameOverride": "r" * 63, component: {"enabled": True, "name": "n" * 30, "from": FROM}},
    )
    got = name(values, component)
    assert len(got) <= 63 and re.fullmatch(r"r+-[0-9a-f]{8}", got), got


@pytest.mark.parametrize("component", ["backfill", "redrive"])
def test_jobs_are_plain_resources_not_hooks(component):
    """A post-upgrade hook Job would make `helm upgrade` wait for the whole run."""
    j = job(render(ALL), component)
    assert not any(k.startswith("helm.sh/hook") for k in j["metadata"].get("annotations", {}))


# --- lifetime ---------------------------------------------------------------------------------


@pytest.mark.parametrize("component", ["backfill", "redrive"])
def test_ttl_after_finished(component):
    values = deep_merge(MINIMAL, deep_merge(BACKFILL, REDRIVE))
    assert job(render(values), component)["spec"]["ttlSecondsAfterFinished"] == 86400
    assert job(render(ALL), component)["spec"]["ttlSecondsAfterFinished"] == ALL[component]["ttlSecondsAfterFinished"]
    kept = deep_merge(values, {component: {"ttlSecondsAfterFinished": -1}})
    assert "ttlSecondsAfterFinished" not in job(render(kept), component)["spec"]
    assert "activeDeadlineSeconds" not in job(render(values), component)["spec"]
    assert job(render(ALL), component)["spec"]["activeDeadlineSeconds"] == ALL[component]["activeDeadlineSeconds"]


def test_jobs_are_off_by_default():
    assert not by_kind(render(MINIMAL), "Job")
    assert [j["metadata"]["labels"]["app.kubernetes.io/component"] for j in by_kind(render(deep_merge(MINIMAL, REDRIVE)), "Job")] == ["redrive"]


def test_notes_name_the_jobs():
    notes = render_templates(ALL)["referral-relay/templates/NOTES.txt"]
    docs = render(ALL)
    for component in ("backfill", "redrive"):
        assert f"job/{job(docs, component)['metadata']['name']}" in notes


# --- pods: network policy in, relay selectors out ---------------------------------------------


@pytest.mark.parametrize("component", ["backfill", "redrive"])
def test_job_pods_are_governed_by_the_network_policy_not_the_relay_selectors(component):
    docs = render(ALL)
    pod_labels = job(docs, component)["spec"]["template"]["metadata"]["labels"]
    assert pod_labels["app.kubernetes.io/component"] == component
    assert one(docs, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    for kind, selector in (
        ("Deployment", lambda d: d["spec"]["selector"]["matchLabels"]),
        ("Service", lambda d: d["spec"]["selector"]),
        ("PodDisruptionBudget", lambda d: d["spec"]["selector"]["matchLabels"]),
    ):
        assert not selector(one(docs, kind)).items() <= pod_labels.items(), kind


# --- the chart's own checks, with the schema skipped ------------------------------------------


@pytest.fixture(scope="module")
def chart_without_schema(tmp_path_factory) -> helm.Chart:
    """The chart as `helm install --skip-schema-validation` sees it: only the validate helper."""
    copy = tmp_path_factory.mktemp("chart") / "referral-relay"
    shutil.copytree(CHART_DIR, copy)
    (copy / "values.schema.json").unlink()
    return helm.Chart.load(copy)


@pytest.mark.parametrize(
    "override,message",
    [
        ({"backfill": {"enabled": True, "from": FROM}}, "backfill.name is required when backfill.enabled"),
        ({"backfill": {"enabled": True, "name": "x"}}, "backfill.from is required when backfill.enabled"),
        ({"redrive": {"enabled": True}}, "redrive.name is required when redrive.enabled"),
    ],
)
def test_validate_fails_clearly_without_the_schema(chart_without_schema, override, message):
    with pytest.raises(helm.HelmRenderError, match=re.escape(message)):
        chart_without_schema.render(deep_merge(MINIMAL, override), name=RELEASE, namespace=NAMESPACE, is_install=True)
    # ...and the same values with the schema fail too, at the schema.
    with pytest.raises(helm.HelmValuesError):
        render(deep_merge(MINIMAL, override))


# --- upgrades that reuse an older chart's values ------------------------------------------------


@pytest.fixture(scope="module")
def chart_with_older_defaults(tmp_path_factory) -> helm.Chart:
    """The chart as `helm upgrade --reuse-values` renders it for a release of a chart from before
    these Jobs' options: Helm then takes the OLD chart's defaults, without the redrive block and
    the newer backfill keys."""
    copy = tmp_path_factory.mktemp("chart") / "referral-relay"
    shutil.copytree(CHART_DIR, copy)
    values = yaml.safe_load((copy / "values.yaml").read_text(encoding="utf-8"))
    del values["redrive"]
    for key in ("dryRun", "rate", "maxInFlight"):
        del values["backfill"][key]
    values["backfill"]["ttlSecondsAfterFinished"] = -1
    (copy / "values.yaml").write_text(yaml.safe_dump(values), encoding="utf-8")
    return helm.Chart.load(copy)


def test_upgrade_reusing_older_values_still_renders(chart_with_older_defaults):
    def render_upgrade(values):
        return chart_with_older_defaults.render(values, name=RELEASE, namespace=NAMESPACE, is_upgrade=True)

    out = render_upgrade(MINIMAL)  # a plain upgrade: no Job, no failure on the missing block
    assert not out["referral-relay/templates/job-redrive.yaml"].strip()
    docs = [d for d in yaml.safe_load_all(render_upgrade(deep_merge(MINIMAL, BACKFILL))["referral-relay/templates/job-backfill.yaml"]) if d]
    assert containers(docs[0])[0]["args"] == [
        "backfill", "--from", FROM, "--name", "nov-outage", "--progress", "log", "--config", CONFIG,
    ]
    # An enabled redrive without its defaults fails, saying what to do.
    with pytest.raises(helm.HelmRenderError, match="--reset-then-reuse-values"):
        render_upgrade(deep_merge(MINIMAL, REDRIVE))
