"""The `helm test` Pod: `referral-relay check` with the release's config.yaml, Secrets and env."""

from __future__ import annotations

import helm_python as helm
import pytest

from conftest import (
    by_kind,
    config_of,
    containers,
    deep_merge,
    env_of,
    is_hook,
    load_values,
    one,
    pod_spec,
    render,
    render_templates,
)

MINIMAL = load_values("minimal")
ALL = load_values("all")


@pytest.mark.parametrize("name", ["minimal", "all"])
def test_runs_check_as_a_test_hook_with_the_relays_config_secrets_and_env(name):
    values = load_values(name)
    docs = render(values)
    pod, deployment = one(docs, "Pod"), one(docs, "Deployment")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    # A failed Pod is kept for its log; the next `helm test` replaces it.
    assert pod["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    check, relay = containers(pod)[0], containers(deployment)[0]
    assert check["args"] == ["check", "--config", "/etc/referral-relay/config.yaml"]
    assert relay["args"] == ["run", "--config", "/etc/referral-relay/config.yaml"]
    assert check["image"] == relay["image"]
    assert config_of(docs, pod) == config_of(docs, deployment)
    assert env_of(check) == env_of(relay)
    assert check["volumeMounts"] == relay["volumeMounts"]
    assert pod_spec(pod)["volumes"] == pod_spec(deployment)["volumes"]
    assert check["securityContext"] == relay["securityContext"]
    spec = pod_spec(pod)
    assert spec["restartPolicy"] == "Never"
    assert spec["serviceAccountName"] == deployment["spec"]["template"]["spec"]["serviceAccountName"]
    assert spec["activeDeadlineSeconds"] == values.get("helmTest", {}).get("activeDeadlineSeconds", 300)


def test_the_network_policy_lets_it_reach_kafka_and_mmolove_but_nothing_selects_it_as_the_relay():
    docs = render(ALL)
    labels = one(docs, "Pod")["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "test"
    assert one(docs, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    assert not one(docs, "Service")["spec"]["selector"].items() <= labels.items()
    assert not one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert not one(docs, "Deployment")["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_is_the_only_hook_and_can_be_turned_off():
    assert [d["kind"] for d in render(ALL) if is_hook(d)] == ["Pod"]
    assert not by_kind(render(deep_merge(MINIMAL, {"helmTest": {"enabled": False}})), "Pod")


def test_resources_come_from_values():
    assert containers(one(render(ALL), "Pod"))[0]["resources"] == ALL["helmTest"]["resources"]
    with pytest.raises(helm.HelmValuesError, match="/helmTest/resources"):
        render(deep_merge(MINIMAL, {"helmTest": {"resources": {"limits": {"memory": None}}}}))


def test_notes_say_how_to_run_it():
    notes = render_templates(MINIMAL)["referral-relay/templates/NOTES.txt"]
    assert "helm test relay -n referral" in notes
    off = render_templates(deep_merge(MINIMAL, {"helmTest": {"enabled": False}}))["referral-relay/templates/NOTES.txt"]
    assert "helm test" not in off
