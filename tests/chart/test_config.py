"""config.yaml, the one place the chart renders the relay's settings, held against the relay's
source: the layout it accepts (ConfigurationFile.swift's `schema`), the environment variable and
YAML path of every setting and their defaults (RelayConfiguration+*.swift, EnvironmentKey.swift)."""

from __future__ import annotations

import ast
import re
import shutil
from typing import Any

import helm_python as helm
import pytest
import yaml

from conftest import (
    CHART_DIR,
    CONFIGURATION_SWIFT,
    NAMESPACE,
    RELEASE,
    VALUE_SETS,
    config_of,
    containers,
    deep_merge,
    env_of,
    environment_contract,
    load_values,
    one,
    pod_spec,
    render,
    workloads,
)

MINIMAL = load_values("minimal")
ALL = load_values("all")
# values-all uses the chart-created Secret, which has no key id; this variant mounts one.
KEY_ID_FILE = deep_merge(
    MINIMAL, {"mmolove": {"keyIdKey": "key-id", "servers": [{"id": "us-1", "existingSecret": "mm-us", "keyIdKey": "kid"}]}}
)
# The only setting the chart never renders, and why.
NOT_IN_CONFIG = {"MMOLOVE_REFERRAL_SECRET": "the secret itself: the chart mounts it as a file (mmolove.secretFile)"}


# --- what the relay accepts, read from its source ----------------------------------------------


def relay_file_schema() -> dict[str, Any]:
    """ConfigurationFile.schema as a dict: a section is a dict, a leaf the name of its shape."""
    source = (CONFIGURATION_SWIFT / "ConfigurationFile.swift").read_text(encoding="utf-8")
    literal = re.search(r"static let schema: \[String: Shape\] = (\[.*?\n    \])\n", source, re.DOTALL).group(1)
    text = literal.replace(".section([", "{").replace("])", "}")
    text = "{" + text.strip()[1:-1] + "}"
    text = re.sub(r"\.(scalar|list|stringMap|servers)\b", r'"\1"', text)
    return ast.literal_eval(text)


def relay_server_keys() -> set[str]:
    source = (CONFIGURATION_SWIFT / "ConfigurationFile.swift").read_text(encoding="utf-8")
    return set(re.findall(r'"(\w+)"', re.search(r"static let serverKeys: Set<String> = \[([^\]]*)\]", source).group(1)))


def relay_settings() -> dict[str, tuple[str, str | None]]:
    """Environment variable -> (YAML path, default expression or None), from the loading code's
    `sources.<kind>(.<case>, "<path>", default: <expr>…)` calls."""
    cases = dict(re.findall(r'^\s*case\s+(\w+)\s*=\s*"([A-Z0-9_]+)"', (CONFIGURATION_SWIFT / "EnvironmentKey.swift").read_text(encoding="utf-8"), re.MULTILINE))
    settings: dict[str, tuple[str, str | None]] = {}
    for path in sorted(CONFIGURATION_SWIFT.glob("RelayConfiguration+*.swift")):
        source = path.read_text(encoding="utf-8")
        for case, yaml_path, default in re.findall(
            r'\(\s*\.(\w+),\s*"([A-Za-z.]+)"(?:,\s*default:\s*(\.\w+\(\d+\)|"[^"]*"|[\w.]+))?', source
        ):
            settings[cases[case]] = (yaml_path, default or None)
    # The default server's secret file is looked up by path (it competes with the literal).
    assert 'scalars["mmolove.secretFile"]' in (CONFIGURATION_SWIFT / "RelayConfiguration+MMOLoveSettings.swift").read_text(encoding="utf-8")
    settings["MMOLOVE_REFERRAL_SECRET_FILE"] = ("mmolove.secretFile", None)
    return settings


def resolve_default(path: str, expression: str) -> Any:
    """A Swift default expression as the value config.yaml would carry, or a KeyError."""
    if m := re.fullmatch(r"\.(seconds|milliseconds)\((\d+)\)", expression):
        unit, number = m.group(1), int(m.group(2))
        millis = number * 1000 if unit == "seconds" else number
        return millis if path.endswith("Ms") else millis // 1000
    if m := re.fullmatch(r'"([^"]*)"', expression):
        return m.group(1)
    if expression in ("true", "false"):
        return expression == "true"
    if expression.isdigit():
        return int(expression)
    configuration = (CONFIGURATION_SWIFT / "RelayConfiguration.swift").read_text(encoding="utf-8")
    if m := re.fullmatch(r"Self\.(\w+)", expression):
        return int(re.search(rf"static let {m.group(1)} = ([\d_]+)", configuration).group(1).replace("_", ""))
    if m := re.fullmatch(r"defaults\.(\w+)", expression):  # Topics()'s initializer defaults
        return re.search(rf"{m.group(1)}: String = \"([^\"]*)\"", configuration).group(1)
    raise KeyError(expression)


def leaves(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted path -> value, stopping at kafka.properties and mmolove.servers (whole values)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path != "kafka.properties":
            out.update(leaves(value, path + "."))
        else:
            out[path] = value
    return out


def lookup(config: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        config = config[part]
    return config


def test_the_source_parsers_find_the_settings():
    settings = relay_settings()
    known, _ = environment_contract()
    assert len(settings) >= 30
    assert set(settings) | set(NOT_IN_CONFIG) == known, "every EnvironmentKey has a YAML path, or a reason it has none"
    schema = relay_file_schema()
    assert schema["relay"]["retry"] == {"initialBackoffMs": "scalar", "maxBackoffSeconds": "scalar"}
    for path, _ in settings.values():
        lookup(schema, path)  # every path the loader reads is in the file schema


# --- config.yaml against the relay ------------------------------------------------------------


def check_shape(node: Any, shape: Any, path: str) -> None:
    if isinstance(shape, dict):
        assert isinstance(node, dict), f"{path} must be a mapping"
        for key, value in node.items():
            child = f"{path}.{key}".lstrip(".")
            assert key in shape, f"{child}: the relay refuses this key (unknown in ConfigurationFile.schema)"
            check_shape(value, shape[key], child)
    elif shape == "scalar":
        assert isinstance(node, (str, int, float, bool)), f"{path} must be a scalar"
        assert not isinstance(node, float) or node.is_integer(), f"{path}: the relay reads whole numbers"
    elif shape == "list":
        assert isinstance(node, list) and all(isinstance(i, (str, int)) for i in node), f"{path} must be a list"
    elif shape == "stringMap":
        assert isinstance(node, dict) and all(isinstance(v, str) for v in node.values()), f"{path}: strings"
    elif shape == "servers":
        assert isinstance(node, list), path
        for item in node:
            assert set(item) <= relay_server_keys(), f"{path}: {set(item) - relay_server_keys()}"


@pytest.mark.parametrize("name", VALUE_SETS + ["key-id-file"])
def test_config_has_only_keys_and_shapes_the_relay_accepts(name):
    values = KEY_ID_FILE if name == "key-id-file" else load_values(name)
    docs = render(values)
    check_shape(config_of(docs, one(docs, "Deployment")), relay_file_schema(), "")


def test_every_relay_setting_is_reachable_from_values():
    """Each EnvironmentKey's YAML path is rendered (from values-all, or the key-id-file variant);
    MMOLOVE_REFERRAL_SECRET alone is not, on purpose."""
    rendered: set[str] = set()
    for values in (ALL, KEY_ID_FILE):
        docs = render(values)
        config = config_of(docs, one(docs, "Deployment"))
        rendered |= set(leaves(config))
        rendered |= {f"mmolove.servers.{k}" for s in config["mmolove"].get("servers", []) for k in s}
    missing = {env: path for env, (path, _) in relay_settings().items() if path not in rendered}
    assert not missing, f"settings the chart cannot set: {missing}"
    assert {"mmolove.servers.keyId", "mmolove.servers.keyIdFile", "mmolove.servers.secretFile"} <= rendered


def test_chart_defaults_are_the_relays_defaults():
    """What a default install renders equals what the relay would do with the key absent, so
    values.yaml documents the relay's real defaults."""
    docs = render(MINIMAL)
    config = config_of(docs, one(docs, "Deployment"))
    unresolved = set()
    compared = 0
    # The one deliberate difference: the relay keeps the referee store's local copy under the
    # system's temporary directory, which the chart mounts in memory; the chart gives it a volume.
    overridden = {"relay.refereeStore.directory": "/var/lib/referral-relay/referees"}
    for env, (path, expression) in relay_settings().items():
        if path in overridden:
            assert lookup(config, path) == overridden[path]
            continue
        if expression is None:
            continue
        try:
            default = resolve_default(path, expression)
        except KeyError:
            unresolved.add(path)
            continue
        assert lookup(config, path) == default, f"{path} ({env}): chart {lookup(config, path)!r}, relay {default!r}"
        compared += 1
    # The endpoint's default lives in ReferralKit; the chart leaves the key out unless set.
    assert unresolved == {"mmolove.endpoint"}
    assert "endpoint" not in config["mmolove"]
    assert compared >= 20


def test_values_land_at_their_config_paths():
    docs = render(ALL)
    config = config_of(docs, one(docs, "Deployment"))
    for key, value in ALL["relay"].items():
        if key == "refereeStore":
            # Its volume is the pod's, not a setting.
            value = {k: v for k, v in value.items() if k != "volume"}
        assert config["relay"][key] == value, key
    for key in ("endpoint", "allowInsecureHttp", "requestTimeoutSeconds", "connectTimeoutSeconds", "testEvents",
                "serverId", "keyId", "secretPollSeconds"):
        assert config["mmolove"][key] == ALL["mmolove"][key], key
    assert config["kafka"]["brokers"] == ALL["kafka"]["brokers"].split(",")
    assert config["kafka"]["groupId"] == ALL["kafka"]["groupId"]
    assert config["kafka"]["topics"] == ALL["kafka"]["topics"]
    # A million, not 1e+06: Helm reads numbers as floats.
    assert "rateLimit: 1000000\n" in next(d for d in docs if d["kind"] == "ConfigMap" and "config.yaml" in d["data"])["data"]["config.yaml"]


def test_empty_optional_strings_are_left_out():
    """The relay reads an empty file value as set (unlike an empty env var): an empty endpoint
    would be refused, an empty key id would mean none."""
    docs = render(MINIMAL)
    mm = config_of(docs, one(docs, "Deployment"))["mmolove"]
    assert not {"endpoint", "keyId", "keyIdFile", "servers"} & set(mm)


# --- key ids from the Secret ------------------------------------------------------------------


def test_key_id_files_are_mounted_from_the_secrets():
    docs = render(KEY_ID_FILE)
    for workload in workloads(docs):
        mm = config_of(docs, workload)["mmolove"]
        assert mm["keyIdFile"] == "/var/run/secrets/mmolove/key-id"
        assert "keyId" not in mm
        assert mm["servers"] == [{"id": "us-1", "secretFile": "/var/run/secrets/mmolove/servers/us-1/referral-secret",
                                  "keyIdFile": "/var/run/secrets/mmolove/servers/us-1/key-id"}]
        volume = next(v for v in pod_spec(workload)["volumes"] if v["name"] == "mmolove-secret")
        sources = [s["secret"] for s in volume["projected"]["sources"]]
        assert sources == [
            {"name": "referral-relay-mmolove", "items": [{"key": "referral-secret", "path": "referral-secret"},
                                                         {"key": "key-id", "path": "key-id"}]},
            {"name": "mm-us", "items": [{"key": "referral-secret", "path": "servers/us-1/referral-secret"},
                                        {"key": "kid", "path": "servers/us-1/key-id"}]},
        ]


@pytest.mark.parametrize(
    "override,message",
    [
        ({"mmolove": {"keyId": "k1", "keyIdKey": "key-id"}}, "mmolove.keyId or mmolove.keyIdKey, not both"),
        ({"mmolove": {"existingSecret": "", "secret": "dev", "keyIdKey": "key-id"}}, "mmolove.keyIdKey needs mmolove.existingSecret"),
        ({"mmolove": {"keyIdKey": "referral-secret"}}, "must differ from mmolove.secretKey"),
        ({"mmolove": {"servers": [{"id": "a", "existingSecret": "s", "keyId": "k", "keyIdKey": "kid"}]}}, r"servers\[0\]: set keyId or keyIdKey"),
        ({"mmolove": {"servers": [{"id": "srv-main", "existingSecret": "s"}]}}, r"servers\[0\].id \"srv-main\" is also mmolove.serverId"),
        ({"relay": {"retry": {"initialBackoffMs": 31000}}}, r"initialBackoffMs \(31000\) must not exceed"),
    ],
)
def test_combinations_the_relay_refuses_fail_the_render(override, message):
    with pytest.raises(helm.HelmRenderError, match=message):
        render(deep_merge(MINIMAL, override))


@pytest.mark.parametrize(
    "override,path",
    [
        ({"mmolove": {"serverId": ""}}, "/mmolove/serverId"),
        ({"relay": {"logFormat": "xml"}}, "/relay/logFormat"),
        ({"relay": {"maxInputBytes": 512}}, "/relay/maxInputBytes"),
        ({"relay": {"maxAttempts": -1}}, "/relay/maxAttempts"),
        ({"relay": {"rateLimit": 1000001}}, "/relay/rateLimit"),
        ({"relay": {"commitIntervalMs": 0}}, "/relay/commitIntervalMs"),
        ({"relay": {"retry": {"maxBackoffSeconds": "30"}}}, "/relay/retry/maxBackoffSeconds"),
        ({"relay": {"retry": {"jitter": True}}}, "jitter"),
        ({"relay": {"opsHost": ""}}, "/relay/opsHost"),
        ({"mmolove": {"testEvents": "yes"}}, "/mmolove/testEvents"),
        ({"mmolove": {"requestTimeoutSeconds": 0}}, "/mmolove/requestTimeoutSeconds"),
        ({"mmolove": {"keyIdKey": "a/b"}}, "/mmolove/keyIdKey"),
        ({"extraEnv": [{"value": "x"}]}, "/extraEnv/0"),
        ({"extraEnv": [{"name": "X", "valueFrom": {"secretRef": {"name": "s"}}}]}, "/extraEnv/0/valueFrom"),
        ({"extraVolumeMounts": [{"name": "x", "mountPath": "/x", "readonly": True}]}, "/extraVolumeMounts/0"),
        ({"extraVolumes": [{"emptyDir": {}}]}, "/extraVolumes/0"),
    ],
)
def test_bad_setting_values_fail_schema(override, path):
    with pytest.raises(helm.HelmValuesError, match=re.escape(path)):
        render(deep_merge(MINIMAL, override))


@pytest.fixture(scope="module")
def chart_without_schema(tmp_path_factory) -> helm.Chart:
    copy = tmp_path_factory.mktemp("chart") / "referral-relay"
    shutil.copytree(CHART_DIR, copy)
    (copy / "values.schema.json").unlink()
    return helm.Chart.load(copy)


def test_server_id_is_required_even_without_the_schema(chart_without_schema):
    """The relay refuses a referral secret without the server id it signs for."""
    values = deep_merge(MINIMAL, {"mmolove": {"serverId": ""}})
    with pytest.raises(helm.HelmRenderError, match="mmolove.serverId is required"):
        chart_without_schema.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)


# --- one rendering, and a change rolls the pods -----------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"relay": {"maxAttempts": 5}},
        {"relay": {"retry": {"maxBackoffSeconds": 60}}},
        {"relay": {"logFormat": "text"}},
        {"mmolove": {"testEvents": True}},
        {"mmolove": {"keyIdKey": "key-id"}},
        {"kafka": {"properties": {"fetch.min.bytes": "1024"}}},
        {"kafka": {"topics": {"dlq": "other-dlq"}}},
    ],
)
def test_a_setting_change_rolls_the_pods(change):
    def checksum(values):
        return one(render(values), "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    assert checksum(MINIMAL) != checksum(deep_merge(MINIMAL, change))


def test_the_checksum_is_the_rendered_config():
    import hashlib

    docs = render(ALL)
    text = one([d for d in docs if d["kind"] == "ConfigMap" and "config.yaml" in d["data"]], "ConfigMap")["data"]["config.yaml"]
    annotations = one(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    # The block scalar adds the final newline.
    assert annotations["checksum/config"] == hashlib.sha256(text.removesuffix("\n").encode()).hexdigest()


def test_no_setting_is_rendered_twice():
    """No env variable repeats a config.yaml setting (extraEnv aside, an explicit override)."""
    known, _ = environment_contract()
    for values in (MINIMAL, ALL, KEY_ID_FILE):
        for workload in workloads(render(values)):
            env = env_of(containers(workload)[0])
            assert not (set(env) & known), f"{workload['kind']}: {set(env) & known}"


# --- values from an older chart (helm upgrade --reuse-values) ---------------------------------


@pytest.fixture(scope="module")
def chart_with_older_values(tmp_path_factory) -> helm.Chart:
    """The chart with the values of the chart before this one's settings: `helm upgrade
    --reuse-values` merges the old release's values, which lack every key added since."""
    copy = tmp_path_factory.mktemp("older") / "referral-relay"
    shutil.copytree(CHART_DIR, copy)
    (copy / "values.schema.json").unlink()
    values = yaml.safe_load((copy / "values.yaml").read_text(encoding="utf-8"))
    for key in ("logFormat", "opsHost", "commitIntervalMs", "maxAttempts", "qualifiedWaitSeconds", "rateLimit",
                "maxInputBytes", "heldPartitionReadinessSeconds", "unknownTopicGraceSeconds", "retry",
                "adaptiveConcurrency", "adaptiveConcurrencyInitial", "refereeStore"):
        del values["relay"][key]
    del values["kafka"]["topics"]["referees"]
    for key in ("allowInsecureHttp", "requestTimeoutSeconds", "connectTimeoutSeconds", "testEvents", "keyIdKey",
                "secretPollSeconds"):
        del values["mmolove"][key]
    for key in ("extraEnv", "extraVolumes", "extraVolumeMounts", "helmTest", "prometheusRule", "grafanaDashboard"):
        del values[key]
    del values["keda"]["fallback"], values["keda"]["behavior"], values["podDisruptionBudget"]["unhealthyPodEvictionPolicy"]
    (copy / "values.yaml").write_text(yaml.safe_dump(values), encoding="utf-8")
    return helm.Chart.load(copy)


def test_upgrade_with_older_values_leaves_the_new_settings_to_the_relay(chart_with_older_values):
    out = chart_with_older_values.render(deep_merge(MINIMAL, {"keda": {"enabled": True}}), name=RELEASE,
                                         namespace=NAMESPACE, is_upgrade=True)
    config = yaml.safe_load(yaml.safe_load(out["referral-relay/templates/configmap.yaml"])["data"]["config.yaml"])
    assert set(config["relay"]) == {"qualifyingMilestones", "logLevel", "drainTimeoutSeconds", "maxInFlight", "opsPort"}
    assert set(config["mmolove"]) == {"serverId", "secretFile"}
    assert not out["referral-relay/templates/tests/check.yaml"].strip()
    assert not out["referral-relay/templates/prometheusrule.yaml"].strip()
    assert "fallback" not in out["referral-relay/templates/keda.yaml"]
