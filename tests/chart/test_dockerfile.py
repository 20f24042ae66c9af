"""Static checks of the Dockerfile (no Docker engine is needed: the image is not built here)."""

from __future__ import annotations

import json
import re

from conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _stages() -> list[list[str]]:
    """Instructions (continuations joined, comments dropped) grouped by stage."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_multi_stage_swift_build_to_slim_runtime():
    stages = _stages()
    assert len(stages) == 2
    assert re.match(r"FROM swift:6\.3(\.\d+)?-bookworm AS build", stages[0][0])
    assert stages[1][0].startswith("FROM debian:bookworm-slim")
    build = " ".join(stages[0])
    assert "swift build -c release --static-swift-stdlib --product referral-relay" in build
    for pkg in ("librdkafka-dev", "libssl-dev", "pkg-config"):
        assert pkg in build


def test_runtime_has_only_what_the_binary_needs():
    runtime = " ".join(_stages()[1])
    install = re.search(r"apt-get install -y --no-install-recommends ([^&]+)", runtime).group(1).split()
    assert set(install) == {"librdkafka1", "libstdc++6", "libgcc-s1", "ca-certificates"}
    assert "rm -rf /var/lib/apt/lists/*" in runtime
    assert "COPY --from=build /out/referral-relay /usr/local/bin/referral-relay" in runtime


def test_runs_as_numeric_non_root_without_a_shell():
    runtime = _stages()[1]
    user = [line for line in runtime if line.startswith("USER ")][-1]
    uid = user.split()[1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 10000
    entrypoint = [line for line in runtime if line.startswith("ENTRYPOINT ")][-1]
    cmd = [line for line in runtime if line.startswith("CMD ")][-1]
    # Exec form: JSON arrays, so no /bin/sh -c wraps the relay and SIGTERM reaches it.
    assert json.loads(entrypoint[len("ENTRYPOINT "):]) == ["/usr/local/bin/referral-relay"]
    assert json.loads(cmd[len("CMD "):]) == ["run"]


def test_dockerignore_keeps_the_context_small():
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ignore[ignore.index("*")] == "*"
    assert {"!Package.swift", "!Sources/", "!Tests/"} <= set(ignore)


def test_build_works_without_package_resolved():
    # Package.resolved is not committed; a COPY naming it literally would fail the build.
    build = " ".join(_stages()[0])
    assert "COPY Package.swift Package.resolve[d] ./" in build
