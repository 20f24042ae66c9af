"""Render, lint and validate the chart; check what it renders against the relay's contract."""

from __future__ import annotations

import re
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest

from conftest import (
    CHART_DIR,
    KUBE_VERSION,
    KUBE_VERSIONS,
    NAMESPACE,
    VALUE_SETS,
    by_kind,
    config_of,
    containers,
    deep_merge,
    env_of,
    environment_contract,
    is_hook,
    load_values,
    one,
    pod_metadata,
    pod_spec,
    render,
    render_templates,
    workloads,
)
from crd_schemas import CRD_SCHEMAS, KAFKA_TRIGGER_METADATA

MINIMAL = load_values("minimal")


# --- render, lint, validate ------------------------------------------------------------------


def test_kubernetes_validate_ships_the_versions():
    shipped = {v.rsplit(".", 1)[0] for v in kubernetes_validate.utils.all_versions()}
    assert {v.rsplit(".", 1)[0] for v in KUBE_VERSIONS} <= shipped


@pytest.mark.parametrize("name", VALUE_SETS)
def test_lint_is_clean(name):
    report = helm.lint(CHART_DIR, load_values(name), strict=True, namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"] and not problems, report


def test_lint_rejects_the_bare_defaults():
    # Without brokers and a secret the chart must not install: the schema says so.
    report = helm.lint(CHART_DIR, {}, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}")
    text = "\n".join(report["errors"])
    assert "/kafka/brokers" in text and "/mmolove" in text, report


def test_every_manifest_is_valid(value_set):
    """Built-in kinds against Kubernetes' own schemas (strict: unknown fields fail); CRD kinds
    against the structural schemas in crd_schemas.py (kubernetes-validate has none for them)."""
    name, _, docs = value_set
    assert docs
    for doc in docs:
        key = (doc["apiVersion"], doc["kind"])
        where = f"{name}: {doc['kind']}/{doc['metadata'].get('name')}"
        if key in CRD_SCHEMAS:
            try:
                jsonschema.Draft202012Validator(CRD_SCHEMAS[key]).validate(doc)
            except jsonschema.ValidationError as e:
                pytest.fail(f"{where}: {e.message} at {list(e.absolute_path)}")
        else:
            for version in KUBE_VERSIONS:
                doc = _as_rendered_for(doc, version)
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.ValidationError as e:
                    pytest.fail(f"{where} (Kubernetes {version}): {e.message} at {list(e.absolute_path)}")
                except kubernetes_validate.SchemaNotFoundError as e:
                    pytest.fail(f"{where} (Kubernetes {version}): {e.message}")


def _as_rendered_for(doc: dict[str, Any], version: str) -> dict[str, Any]:
    """The document as the chart renders it for a cluster of `version`. The offline renderer
    reports Kubernetes v1.36; the PodDisruptionBudget's unhealthyPodEvictionPolicy is only
    rendered from 1.26 on (test_pdb_eviction_policy_follows_the_cluster_version checks the gate)."""
    if doc["kind"] == "PodDisruptionBudget" and tuple(map(int, version.split(".")[:2])) < (1, 26):
        doc = {**doc, "spec": {k: v for k, v in doc["spec"].items() if k != "unhealthyPodEvictionPolicy"}}
    return doc


def test_all_options_render_every_kind():
    kinds = {d["kind"] for d in render(load_values("all"))}
    assert kinds == {
        "ConfigMap", "Secret", "ServiceAccount", "Service", "Deployment", "PodDisruptionBudget",
        "ServiceMonitor", "ScaledObject", "TriggerAuthentication", "NetworkPolicy", "Job",
        "PrometheusRule", "Pod",
    }
    assert "HorizontalPodAutoscaler" in {d["kind"] for d in render(load_values("hpa"))}


def test_minimal_renders_only_what_a_default_install_needs():
    docs = render(MINIMAL)
    kinds = sorted(d["kind"] for d in docs if not is_hook(d))
    assert kinds == sorted(["ConfigMap", "ServiceAccount", "Service", "Deployment", "PodDisruptionBudget", "NetworkPolicy"])
    # Plus the `helm test` Pod, which Helm creates only when `helm test` runs.
    assert [d["kind"] for d in docs if is_hook(d)] == ["Pod"]


def test_labels_and_namespace(value_set):
    _, _, docs = value_set
    for doc in docs:
        labels = doc["metadata"]["labels"]
        for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                    "app.kubernetes.io/managed-by", "helm.sh/chart"):
            assert key in labels, (doc["kind"], key)
        assert doc["metadata"]["namespace"] == NAMESPACE


# Keys from several writers, and values YAML would retype if the chart did not quote them.
DEPLOYMENT_ANNOTATIONS = {"example.com/owner": "growth", "example.com/revision": "3", "example.com/note": "a: b"}


@pytest.mark.parametrize(
    "extra",
    [{}, {"image": {"digest": "sha256:" + "0" * 64}}],
    ids=["beside-checkov-skips", "alone"],
)
def test_deployment_annotations_land_on_the_deployment(extra):
    # Without a digest the chart adds its checkov skip annotations to the same map; with one and no
    # Secret env there are none, and the block holds deploymentAnnotations alone.
    docs = render(deep_merge(MINIMAL, {**extra, "deploymentAnnotations": DEPLOYMENT_ANNOTATIONS}))
    deployment = one(docs, "Deployment")
    annotations = deployment["metadata"].get("annotations") or {}
    assert {key: annotations.get(key) for key in DEPLOYMENT_ANNOTATIONS} == DEPLOYMENT_ANNOTATIONS
    assert ("checkov.io/skip1" in annotations) == ("image" not in extra), annotations
    # The Deployment's own: not on its pods (podAnnotations) nor on the Jobs and the test Pod.
    for workload in workloads(docs):
        assert not DEPLOYMENT_ANNOTATIONS.keys() & (pod_metadata(workload).get("annotations") or {}).keys()
        if workload is not deployment:
            assert not DEPLOYMENT_ANNOTATIONS.keys() & (workload["metadata"].get("annotations") or {}).keys()



# --- the environment contract -----------------------------------------------------------------


def test_env_carries_only_secrets_and_extra_env(value_set):
    """Settings are rendered once, in config.yaml; the environment holds only what comes from
    Secrets (RDKAFKA_* secretKeyRefs: librdkafka takes SASL and key passwords only as properties),
    OpenTelemetry's OTEL_* variables (read by swift-otel; see test_tracing_*) and the user's
    extraEnv. Every name the chart sets is one the relay reads."""
    name, values, docs = value_set
    known, prefix = environment_contract()
    extra = {e["name"] for e in values.get("extraEnv", [])}
    for workload in workloads(docs):
        for container in containers(workload):
            env = env_of(container)
            tracing = {n for n in env if n in TRACING_ENV}
            chart_set = {n: e for n, e in env.items() if n not in extra and n not in tracing}
            # OTEL_EXPORTER_OTLP_HEADERS comes from a Secret too, and swift-otel reads it.
            unknown = {
                n for n in chart_set if n not in known and not n.startswith(prefix) and n != "OTEL_EXPORTER_OTLP_HEADERS"
            }
            assert not unknown, f"{name}: {workload['kind']} sets env the relay does not read: {unknown}"
            for n, e in chart_set.items():
                assert "secretKeyRef" in e.get("valueFrom", {}), f"{name}: {n} is not from a Secret: config.yaml carries it"
            assert not {n for n in chart_set if n in known}, f"{name}: settings belong in config.yaml"
            assert "MMOLOVE_REFERRAL_SECRET" not in env, "the referral secret must never be an env var"
            assert not container.get("envFrom"), "envFrom would hide env names from this test"
    if name == "minimal":
        assert all("env" not in c for w in workloads(docs) for c in containers(w))


TRACING_ENV = {
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
}


def test_tracing_env_only_with_an_endpoint_and_its_headers_from_a_secret():
    """tracing.* renders OpenTelemetry's standard variables (docs/TRACING.md) only when
    tracing.otlpEndpoint is set; OTEL_EXPORTER_OTLP_HEADERS (a collector's credentials) only from
    a Secret; the endpoint's port is allowed by the NetworkPolicy; extraEnv may not shadow them."""
    off = env_of(containers(one(render(MINIMAL), "Deployment"))[0])
    assert not {n for n in off if n.startswith("OTEL_")}, "no endpoint, no OTEL_* variable"
    headers_without_endpoint = deep_merge(MINIMAL, {"tracing": {"headersSecret": {"name": "otlp-auth"}}})
    assert not {n for n in env_of(containers(one(render(headers_without_endpoint), "Deployment"))[0]) if n.startswith("OTEL_")}

    values = load_values("all")
    docs = render(values)
    env = env_of(containers(one(docs, "Deployment"))[0])
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"] == "http://otel-collector.observability:4318"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"]["value"] == "http/json"
    assert env["OTEL_SERVICE_NAME"]["value"] == "referral-relay-prod"
    assert env["OTEL_TRACES_SAMPLER"]["value"] == "parentbased_traceidratio"
    assert env["OTEL_TRACES_SAMPLER_ARG"]["value"] == "0.05"
    assert env["OTEL_EXPORTER_OTLP_HEADERS"] == {
        "name": "OTEL_EXPORTER_OTLP_HEADERS",
        "valueFrom": {"secretKeyRef": {"name": "otlp-auth", "key": "headers"}},
    }
    egress = [sorted(p["port"] for p in rule["ports"]) for rule in one(docs, "NetworkPolicy")["spec"]["egress"]]
    assert any(4318 in ports for ports in egress), egress
    with pytest.raises(helm.HelmRenderError, match="extraEnv sets OTEL_SERVICE_NAME"):
        render(deep_merge(values, {"extraEnv": [{"name": "OTEL_SERVICE_NAME", "value": "x"}]}))
    with pytest.raises(helm.HelmValuesError, match="protocol"):
        render(deep_merge(MINIMAL, {"tracing": {"protocol": "grpc"}}))


def test_extra_env_reaches_every_container_and_may_not_shadow_secret_refs():
    values = load_values("all")
    docs = render(values)
    for workload in workloads(docs):
        env = env_of(containers(workload)[0])
        assert env["TZ"] == {"name": "TZ", "value": "UTC"}
        assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    with pytest.raises(helm.HelmRenderError, match="extraEnv sets RDKAFKA_SASL_PASSWORD"):
        render(deep_merge(values, {"extraEnv": [{"name": "RDKAFKA_SASL_PASSWORD", "value": "x"}]}))
    # A setting the relay reads may be overridden on purpose: the variable wins over config.yaml.
    override = deep_merge(MINIMAL, {"extraEnv": [{"name": "RELAY_LOG_LEVEL", "value": "debug"}]})
    assert env_of(containers(one(render(override), "Deployment"))[0])["RELAY_LOG_LEVEL"]["value"] == "debug"


def test_extra_volumes_are_mounted_in_every_container():
    values = load_values("all")
    for workload in workloads(render(values)):
        assert {"name": "extra-ca", "configMap": {"name": "extra-ca"}} in pod_spec(workload)["volumes"], workload["kind"]
        mounts = containers(workload)[0]["volumeMounts"]
        assert {"name": "extra-ca", "mountPath": "/etc/extra-ca", "readOnly": True} in mounts, workload["kind"]
    with pytest.raises(helm.HelmValuesError, match="/extraVolumeMounts/0"):
        render(deep_merge(MINIMAL, {"extraVolumeMounts": [{"name": "x"}]}))


def test_no_secret_text_in_any_env_literal_or_config():
    values = load_values("all")
    secret = values["mmolove"]["secret"]
    templates = render_templates(values)
    docs = render(values)
    for workload in workloads(docs):
        for container in containers(workload):
            for e in container["env"]:
                assert secret not in str(e.get("value", "")), e["name"]
    for path, text in templates.items():
        if not path.endswith("secret.yaml"):
            assert secret not in text, f"the referral secret leaks into {path}"


def test_kafka_properties_go_to_config_and_secret_ones_to_env():
    """Non-secret properties (kafka.properties and those derived from kafka.sasl/kafka.ssl) are in
    config.yaml's kafka.properties; secret ones are RDKAFKA_* env from secretKeyRefs, named with
    the inverse of the relay's decoding: after the prefix `___`->`-`, `__`->`_`, `_`->`.`,
    lower-cased."""
    _, prefix = environment_contract()
    values = load_values("all")
    docs = render(values)
    deployment = one(docs, "Deployment")
    env = env_of(containers(deployment)[0])
    properties = config_of(docs, deployment)["kafka"]["properties"]

    def decode(name: str) -> str:
        body = name[len(prefix):]
        return re.sub(r"___|__|_", lambda m: {"___": "-", "__": "_", "_": "."}[m.group(0)], body).lower()

    for prop, val in values["kafka"]["properties"].items():
        expected = str(val).lower() if isinstance(val, bool) else str(val)
        assert properties[prop] == expected, prop
    assert properties["security.protocol"] == "SASL_SSL"
    assert properties["sasl.mechanisms"] == "SCRAM-SHA-512"
    assert properties["ssl.ca.location"] == "/var/run/secrets/kafka-tls/ca.crt"
    assert all(isinstance(v, str) for v in properties.values()), "librdkafka properties are strings"
    decoded = {decode(n): e for n, e in env.items() if n.startswith(prefix)}
    secret_props = {"sasl.username", "sasl.password", "ssl.key.password", "sasl.oauthbearer.client.secret"}
    assert set(decoded) == secret_props
    for prop in secret_props:
        assert "secretKeyRef" in decoded[prop]["valueFrom"], prop
        assert "value" not in decoded[prop]
        assert prop not in properties
    # Secret-looking properties cannot be passed as plain values.
    with pytest.raises(helm.HelmRenderError, match="kafka.secretProperties"):
        render(deep_merge(MINIMAL, {"kafka": {"properties": {"sasl.password": "hunter2"}}}))


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_workload_reads_the_one_config_file(name):
    docs = render(load_values(name))
    configs = [config_of(docs, w) for w in workloads(docs)]
    assert configs and all(c == configs[0] for c in configs), "the Jobs and the test Pod read the relay's config.yaml"
    assert len([d for d in by_kind(docs, "ConfigMap") if "config.yaml" in d["data"]]) == 1
    args = containers(one(docs, "Deployment"))[0]["args"]
    assert args == ["run", "--config", "/etc/referral-relay/config.yaml"]


def test_config_file_lists_every_further_server_with_its_key_id():
    values = deep_merge(
        MINIMAL,
        {"mmolove": {"servers": [
            {"id": "us-east-1", "existingSecret": "mm-us", "keyId": "k-us"},
            {"id": "ap-1", "existingSecret": "mm-ap"},
        ]}},
    )
    docs = render(values)
    for workload in workloads(docs):
        servers = config_of(docs, workload)["mmolove"]["servers"]
        assert servers == [
            {"id": "us-east-1", "secretFile": "/var/run/secrets/mmolove/servers/us-east-1/referral-secret",
             "keyId": "k-us"},
            {"id": "ap-1", "secretFile": "/var/run/secrets/mmolove/servers/ap-1/referral-secret"},
        ]


def test_enabling_a_backfill_or_redrive_does_not_roll_the_relay():
    def deployment(values):
        return one(render(values), "Deployment")

    jobs = {
        "backfill": {"enabled": True, "name": "replay", "from": "2026-01-01T00:00:00Z", "dryRun": True, "rate": 10},
        "redrive": {"enabled": True, "name": "replay", "reason": "timeout", "rate": 10},
    }
    assert deployment(MINIMAL) == deployment(deep_merge(MINIMAL, jobs))


# --- secret handling --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["minimal", "all"])
def test_referral_secret_is_a_mounted_file(name):
    values = load_values(name)
    docs = render(values)
    mm = values["mmolove"]
    secret_name = mm.get("existingSecret") or f"{one(docs, 'Deployment')['metadata']['name']}-mmolove"
    key = mm.get("secretKey", "referral-secret")
    for workload in workloads(docs):
        spec = pod_spec(workload)
        container = containers(workload)[0]
        path = config_of(docs, workload)["mmolove"]["secretFile"]
        mount = next(m for m in container["volumeMounts"] if path.startswith(m["mountPath"].rstrip("/") + "/"))
        assert mount["readOnly"] is True
        volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
        relative = path[len(mount["mountPath"].rstrip("/")) + 1:]
        sources = volume["projected"]["sources"]
        assert any(
            s["secret"]["name"] == secret_name and {"key": key, "path": relative} in s["secret"]["items"]
            for s in sources
        ), volume
        for server in mm.get("servers", []):  # further MMOLove servers: files too, never env
            assert any(
                s["secret"]["name"] == server["existingSecret"]
                and {"key": server["key"], "path": f"servers/{server['id']}/referral-secret"} in s["secret"]["items"]
                for s in sources
            ), server
    secrets = by_kind(docs, "Secret")
    if mm.get("existingSecret"):
        assert not secrets, "existingSecret: the chart must not create a Secret"
    else:
        assert [s["metadata"]["name"] for s in secrets] == [secret_name]


def test_exactly_one_secret_source_is_required():
    base = {"kafka": {"brokers": "k:9092"}, "mmolove": {"serverId": "srv"}}
    with pytest.raises(helm.HelmValuesError, match="/mmolove"):
        render(base)
    with pytest.raises(helm.HelmValuesError, match="/mmolove"):
        render(deep_merge(base, {"mmolove": {"existingSecret": "a", "secret": "b"}}))
    assert by_kind(render(deep_merge(base, {"mmolove": {"secret": "dev-only"}})), "Secret")


def test_checksums_roll_pods_on_config_and_secret_changes():
    def annotations(values):
        return one(render(values), "Deployment")["spec"]["template"]["metadata"]["annotations"]

    base = deep_merge(MINIMAL, {"mmolove": {"existingSecret": "", "secret": "one"}})
    first = annotations(base)
    assert first["checksum/config"] != annotations(deep_merge(base, {"relay": {"logLevel": "debug"}}))["checksum/config"]
    assert first["checksum/secret"] != annotations(deep_merge(base, {"mmolove": {"secret": "two"}}))["checksum/secret"]


# --- pod hardening and probes -----------------------------------------------------------------


def test_security_context(value_set):
    _, _, docs = value_set
    for workload in workloads(docs):
        spec = pod_spec(workload)
        assert spec["automountServiceAccountToken"] is False
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] >= 10000
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in containers(workload):
            sc = container["securityContext"]
            assert sc["runAsNonRoot"] is True
            assert sc["readOnlyRootFilesystem"] is True
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert "add" not in sc["capabilities"]
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
            res = container["resources"]
            assert {"cpu", "memory"} <= set(res["requests"]) and {"cpu", "memory"} <= set(res["limits"])
            tmp = next(m for m in container["volumeMounts"] if m["mountPath"] == "/tmp")
            assert "emptyDir" in next(v for v in spec["volumes"] if v["name"] == tmp["name"])
    sa = one(docs, "ServiceAccount")
    assert sa["automountServiceAccountToken"] is False


def test_probes_and_ops_port(value_set):
    _, _, docs = value_set
    deployment = one(docs, "Deployment")
    container = containers(deployment)[0]
    port = config_of(docs, deployment)["relay"]["opsPort"]
    assert container["ports"] == [{"name": "ops", "containerPort": port, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "ops"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "ops"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "ops"}
    service = one(docs, "Service")
    assert service["spec"]["ports"][0]["targetPort"] == "ops"
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    for job in by_kind(docs, "Job") + by_kind(docs, "Pod"):  # Job and test pods are neither served nor budgeted with the relay
        job_labels = pod_metadata(job)["labels"]
        assert not service["spec"]["selector"].items() <= job_labels.items()
        assert not pdb["spec"]["selector"]["matchLabels"].items() <= job_labels.items()
        assert not deployment["spec"]["selector"]["matchLabels"].items() <= job_labels.items()


def test_termination_grace_exceeds_the_drain_deadline(value_set):
    _, _, docs = value_set
    for workload in by_kind(docs, "Deployment") + by_kind(docs, "Job"):
        drain = config_of(docs, workload)["relay"]["drainTimeoutSeconds"]
        assert workload["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > drain


def test_termination_grace_is_derived_from_the_drain_deadline():
    for drain in (20, 40):
        docs = render(deep_merge(MINIMAL, {"relay": {"drainTimeoutSeconds": drain}}))
        for workload in by_kind(docs, "Deployment"):
            assert workload["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == drain + 25
    docs = render(deep_merge(MINIMAL, {"terminationGracePeriodSeconds": 35, "relay": {"drainTimeoutSeconds": 20}}))
    for workload in by_kind(docs, "Deployment"):
        assert workload["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 35


@pytest.mark.parametrize("grace,drain", [(20, 20), (10, 20), (45, 60), (34, 20)])
def test_termination_grace_not_above_drain_fails(grace, drain):
    values = deep_merge(MINIMAL, {"terminationGracePeriodSeconds": grace, "relay": {"drainTimeoutSeconds": drain}})
    with pytest.raises(helm.HelmRenderError, match="terminationGracePeriodSeconds"):
        render(values)


# --- scaling ----------------------------------------------------------------------------------


def test_keda_scales_on_lag_of_each_input_topic():
    values = load_values("all")
    docs = render(values)
    so = one(docs, "ScaledObject")
    deployment = one(docs, "Deployment")
    config = config_of(docs, deployment)
    assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"
    assert so["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert so["spec"]["maxReplicaCount"] <= values["kafka"]["partitions"]
    topics = [t["metadata"]["topic"] for t in so["spec"]["triggers"]]
    assert topics == [config["kafka"]["topics"]["accountCreated"], config["kafka"]["topics"]["milestoneReached"]]
    auth = one(docs, "TriggerAuthentication")
    for trigger in so["spec"]["triggers"]:
        assert trigger["type"] == "kafka"
        assert set(trigger["metadata"]) <= KAFKA_TRIGGER_METADATA
        assert trigger["metadata"]["consumerGroup"] == config["kafka"]["groupId"]
        assert trigger["metadata"]["bootstrapServers"] == ",".join(config["kafka"]["brokers"])
        assert trigger["metadata"]["offsetResetPolicy"] == "earliest"
        assert trigger["metadata"]["sasl"] == "scram_sha512" and trigger["metadata"]["tls"] == "enable"
        assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    params = {r["parameter"] for r in auth["spec"]["secretTargetRef"]}
    assert params == {"username", "password", "ca", "cert", "key", "keyPassword"}


def test_keda_without_auth_has_no_trigger_authentication():
    docs = render(deep_merge(MINIMAL, {"keda": {"enabled": True}}))
    assert not by_kind(docs, "TriggerAuthentication")
    assert all("authenticationRef" not in t for t in one(docs, "ScaledObject")["spec"]["triggers"])


def test_hpa_is_capped_at_partitions():
    values = load_values("hpa")
    hpa = one(render(values), "HorizontalPodAutoscaler")
    assert hpa["spec"]["maxReplicas"] <= values["kafka"]["partitions"]


def test_values_file_exceeding_partitions_fails():
    with pytest.raises(helm.HelmRenderError, match=r"keda.maxReplicaCount \(12\) exceeds kafka.partitions \(6\)"):
        render(load_values("bad-keda-over-partitions"))


@pytest.mark.parametrize(
    "override,message",
    [
        ({"autoscaling": {"enabled": True, "maxReplicas": 7}}, r"autoscaling.maxReplicas \(7\) exceeds kafka.partitions \(6\)"),
        ({"keda": {"enabled": True, "maxReplicaCount": 7}}, r"keda.maxReplicaCount \(7\) exceeds kafka.partitions \(6\)"),
        ({"replicaCount": 7}, r"replicaCount \(7\) exceeds kafka.partitions \(6\)"),
        ({"autoscaling": {"enabled": True}, "keda": {"enabled": True}}, "mutually exclusive"),
    ],
)
def test_scaling_limits(override, message):
    with pytest.raises(helm.HelmRenderError, match=message):
        render(deep_merge(MINIMAL, override))


# --- bad values fail at install time ----------------------------------------------------------


@pytest.mark.parametrize(
    "override,path",
    [
        ({"kafka": {"brokers": ""}}, "/kafka/brokers"),
        ({"kafka": {"partitions": "six"}}, "/kafka/partitions"),
        ({"relay": {"drainTimeoutSeconds": "20"}}, "/relay/drainTimeoutSeconds"),
        ({"replicaCount": 1.5}, "/replicaCount"),
        ({"relay": {"logLevel": "verbose"}}, "/relay/logLevel"),
        ({"kafka": {"sasl": {"mechanism": "GSSAPI"}}}, "/kafka/sasl/mechanism"),
        ({"keda": {"enabled": "yes"}}, "/keda/enabled"),
        ({"image": {"digest": "latest"}}, "/image/digest"),
        ({"resources": {"limits": {"memory": None}}}, "/resources/limits"),
        ({"backfill": {"enabled": True, "name": "x"}}, "/backfill"),
        ({"backfill": {"enabled": True, "name": "x", "from": "yesterday"}}, "/backfill/from"),
        ({"backfill": {"enabled": True, "name": "x", "from": "2026-01-01T00:00:00Z", "to": "2026-01-02"}}, "/backfill/to"),
        ({"backfill": {"enabled": True, "name": "Nov_Outage", "from": "2026-01-01T00:00:00Z"}}, "/backfill/name"),
        ({"backfill": {"rate": -1}}, "/backfill/rate"),
        ({"backfill": {"maxInFlight": 1.5}}, "/backfill/maxInFlight"),
        ({"backfill": {"dryRun": "yes"}}, "/backfill/dryRun"),
        ({"redrive": {"enabled": True}}, "/redrive"),
        ({"redrive": {"enabled": True, "name": ""}}, "/redrive/name"),
        ({"redrive": {"enabled": True, "name": "x", "stage": "delivery"}}, "/redrive/stage"),
        ({"redrive": {"enabled": True, "name": "x", "from": "2026-11-01 00:00"}}, "/redrive/from"),
        ({"redrive": {"enabled": True, "name": "x", "to": "tomorrow"}}, "/redrive/to"),
        ({"redrive": {"enabled": True, "name": "x", "reason": ["timeout"]}}, "/redrive/reason"),
        ({"redrive": {"rate": "fast"}}, "/redrive/rate"),
        ({"redrive": {"ttlSecondsAfterFinished": -2}}, "/redrive/ttlSecondsAfterFinished"),
        ({"redrive": {"typo": 1}}, "typo"),
        ({"typo": True}, "typo"),
    ],
)
def test_bad_values_fail_schema(override, path):
    values = deep_merge(MINIMAL, override)
    with pytest.raises(helm.HelmValuesError, match=re.escape(path)):
        render(values)


def test_sasl_needs_its_secret():
    with pytest.raises(helm.HelmRenderError, match="kafka.sasl.existingSecret"):
        render(deep_merge(MINIMAL, {"kafka": {"sasl": {"enabled": True}}}))


# --- network policy ---------------------------------------------------------------------------


def test_network_policy_allows_only_ops_dns_kafka_https():
    values = deep_merge(MINIMAL, {"kafka": {"brokers": "a:9094,b,SSL://c:19092"}, "mmolove": {"endpoint": "https://x.example:8443/v1"}})
    np = one(render(values), "NetworkPolicy")
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert np["spec"]["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]
    egress_ports = [sorted(p["port"] for p in rule["ports"]) for rule in np["spec"]["egress"]]
    assert egress_ports == [[53, 53], [9092, 9094, 19092], [443, 8443]]
    assert one(render(deep_merge(MINIMAL, {"networkPolicy": {"enabled": False}})), "Deployment")
    assert not by_kind(render(deep_merge(MINIMAL, {"networkPolicy": {"enabled": False}})), "NetworkPolicy")
