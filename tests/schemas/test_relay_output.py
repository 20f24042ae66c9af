"""The relay's real output against its contract: runs the built `referral-relay demo` (embedded
broker, sandbox, the relay in-process) with `--outcomes-file` and validates every outcome record it
published against schemas/referral-outcome.v1.json. `scripts/test` builds the executable first; the
test is skipped only when no build exists (running the Python tests alone)."""

import json
import pathlib
import subprocess

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from test_schemas import is_rfc3339_date_time

REPO = pathlib.Path(__file__).resolve().parents[2]
EXECUTABLE = REPO / ".build" / "debug" / "referral-relay"
OUTCOME_SCHEMA = json.loads((REPO / "schemas" / "referral-outcome.v1.json").read_text(encoding="utf-8"))


@pytest.mark.skipif(not EXECUTABLE.exists(), reason="referral-relay is not built (swift build)")
def test_every_outcome_the_relay_publishes_conforms(tmp_path):
    outcomes_file = tmp_path / "outcomes.jsonl"
    run = subprocess.run(
        [str(EXECUTABLE), "demo", "--accounts", "16", "--outcomes-file", str(outcomes_file),
         "--log-file", str(tmp_path / "relay.log")],
        capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = outcomes_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 16, f"only {len(lines)} outcomes"
    checker = FormatChecker()
    checker.checks("date-time")(is_rfc3339_date_time)
    validator = Draft202012Validator(OUTCOME_SCHEMA, format_checker=checker)
    statuses = set()
    for line in lines:
        record = json.loads(line)
        errors = sorted(validator.iter_errors(record), key=str)
        assert not errors, f"{record['server_event_id']}: {errors[0].message}"
        statuses.add(record["status"])
    # The demo's mix exercises accepted, lost-race and rejected outcomes, not just one shape.
    assert {"advanced", "first_touch_conflict", "rejected"} <= statuses
