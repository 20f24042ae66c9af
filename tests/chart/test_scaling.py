"""KEDA's scaling behaviour and fallback, and the PodDisruptionBudget's eviction policy."""

from __future__ import annotations

import re
import shutil

import helm_python as helm
import kubernetes_validate
import pytest

from conftest import CHART_DIR, KUBE_VERSIONS, NAMESPACE, RELEASE, by_kind, deep_merge, load_values, one, render

MINIMAL = load_values("minimal")
KEDA = deep_merge(MINIMAL, {"keda": {"enabled": True}})


def scaled_object(values):
    return one(render(values), "ScaledObject")


# --- KEDA -------------------------------------------------------------------------------------


def test_keda_assumes_the_relays_offset_reset_policy():
    """The relay's auto.offset.reset is earliest: a partition without a committed offset is read
    from its start, so that is its lag."""
    for trigger in scaled_object(KEDA)["spec"]["triggers"]:
        assert trigger["metadata"]["offsetResetPolicy"] == "earliest"


def test_keda_scales_up_fast_and_down_slowly_by_default():
    behavior = scaled_object(KEDA)["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    up, down = behavior["scaleUp"], behavior["scaleDown"]
    assert up["stabilizationWindowSeconds"] == 0
    assert down["stabilizationWindowSeconds"] >= 300
    assert max(p["periodSeconds"] for p in up["policies"]) <= 15
    assert down["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 60}]


@pytest.mark.parametrize("name", ["minimal", "all"])
def test_keda_behavior_is_a_valid_hpa_behavior(name):
    """KEDA copies it into the HorizontalPodAutoscaler it creates: check it with Kubernetes' own
    autoscaling/v2 schema (strict)."""
    values = deep_merge(load_values(name), {"keda": {"enabled": True}})
    behavior = scaled_object(values)["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "keda-hpa-relay"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "relay"},
                 "maxReplicas": 6, "behavior": behavior},
    }
    for version in KUBE_VERSIONS:
        kubernetes_validate.validate(hpa, version, strict=True)
    bad = deep_merge(hpa, {"spec": {"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "period": 15}]}}}})
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBE_VERSIONS[-1], strict=True)


def test_keda_behavior_values_are_checked_at_install():
    bad = {"keda": {"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "period": 15}]}}}}
    with pytest.raises(helm.HelmValuesError, match="/keda/behavior/scaleUp/policies/0"):
        render(deep_merge(KEDA, bad))


def test_keda_behavior_can_be_turned_off():
    assert "advanced" not in scaled_object(deep_merge(KEDA, {"keda": {"behavior": None}}))["spec"]


def test_keda_fallback_keeps_the_consumers_up_while_the_lag_is_unknown():
    spec = scaled_object(KEDA)["spec"]
    assert spec["fallback"] == {"failureThreshold": 3, "replicas": spec["maxReplicaCount"]}
    values = deep_merge(KEDA, {"keda": {"maxReplicaCount": 4, "fallback": {"replicas": 2, "failureThreshold": 5}}})
    assert scaled_object(values)["spec"]["fallback"] == {"failureThreshold": 5, "replicas": 2}
    off = deep_merge(KEDA, {"keda": {"fallback": {"enabled": False}}})
    assert "fallback" not in scaled_object(off)["spec"]


def test_keda_fallback_may_not_exceed_the_maximum():
    values = deep_merge(KEDA, {"keda": {"maxReplicaCount": 4, "fallback": {"replicas": 5}}})
    with pytest.raises(helm.HelmRenderError, match=r"keda.fallback.replicas \(5\) exceeds keda.maxReplicaCount \(4\)"):
        render(values)
    with pytest.raises(helm.HelmValuesError, match="/keda/fallback/replicas"):
        render(deep_merge(KEDA, {"keda": {"fallback": {"replicas": 0}}}))


# --- PodDisruptionBudget ----------------------------------------------------------------------


def test_pdb_lets_a_drain_evict_unhealthy_pods():
    pdb = one(render(MINIMAL), "PodDisruptionBudget")
    assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    strict = deep_merge(MINIMAL, {"podDisruptionBudget": {"unhealthyPodEvictionPolicy": "IfHealthyBudget"}})
    assert one(render(strict), "PodDisruptionBudget")["spec"]["unhealthyPodEvictionPolicy"] == "IfHealthyBudget"
    assert not by_kind(render(deep_merge(MINIMAL, {"podDisruptionBudget": {"enabled": False}})), "PodDisruptionBudget")
    with pytest.raises(helm.HelmValuesError, match="/podDisruptionBudget/unhealthyPodEvictionPolicy"):
        render(deep_merge(MINIMAL, {"podDisruptionBudget": {"unhealthyPodEvictionPolicy": "Always"}}))


@pytest.mark.parametrize("version,rendered", [("v1.25.16", False), ("v1.26.0", True), ("v1.33.1-gke.100", True)])
def test_pdb_eviction_policy_follows_the_cluster_version(tmp_path, version, rendered):
    """The field exists from Kubernetes 1.26 on. The offline renderer always reports v1.36, so the
    gate is exercised on a copy of the chart whose cluster version is fixed."""
    copy = tmp_path / "referral-relay"
    shutil.copytree(CHART_DIR, copy)
    template = copy / "templates" / "pdb.yaml"
    text = template.read_text(encoding="utf-8")
    assert "$.Capabilities.KubeVersion.Version" in text
    template.write_text(text.replace("$.Capabilities.KubeVersion.Version", f'"{version}"'), encoding="utf-8")
    out = helm.Chart.load(copy).render(MINIMAL, name=RELEASE, namespace=NAMESPACE, is_install=True)
    assert bool(re.search(r"^\s+unhealthyPodEvictionPolicy: AlwaysAllow$", out["referral-relay/templates/pdb.yaml"], re.M)) is rendered
