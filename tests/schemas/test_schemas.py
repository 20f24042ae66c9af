"""The relay's contracts in schemas/: every schema is a valid JSON Schema (draft 2020-12), every
example under schemas/examples/<name>/valid conforms, every one under .../invalid does not.

The same input examples drive the Swift decoder's tests (Tests/RelayTests/SchemaExamplesTests.swift)
and the valid outcome examples are byte-for-byte what the Swift encoder writes
(Tests/RelayTests/OutcomeRecordTests.swift), so schema, decoder and encoder are held to one set of
files.

A record value reaches the schema only after it parsed as UTF-8 JSON, so an invalid example may
also be a file that is not strict JSON (the relay dead-letters those as "value is not valid JSON").
"""

import datetime
import json
import pathlib
import re

import jsonschema
import pytest
from jsonschema import Draft202012Validator, FormatChecker

ROOT = pathlib.Path(__file__).resolve().parents[2] / "schemas"
SCHEMAS = sorted(ROOT.glob("*.v1.json"))
EXAMPLES = ROOT / "examples"

# jsonschema checks "date-time" only with the optional rfc3339-validator package; rather than add a
# dependency, check RFC 3339 section 5.6 here, with the ranges of section 5.7 (leap second only at
# 23:59 UTC, as the JSON Schema test suite and the relay's decoder do).
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


def is_rfc3339_date_time(value: object) -> bool:
    """True for an RFC 3339 date-time string (non-strings are left to "type")."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.fullmatch(value)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    offset_minutes = 0
    if not match.group(7):
        offset_hours, offset_mins = int(match.group(9)), int(match.group(10))
        if offset_hours > 23 or offset_mins > 59:
            return False
        offset_minutes = (offset_hours * 60 + offset_mins) * (1 if match.group(8) == "+" else -1)
    if second == 60:
        utc_minute = (hour * 60 + minute - offset_minutes) % (24 * 60)
        return utc_minute == 23 * 60 + 59
    return True


FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(is_rfc3339_date_time)


def _reject_constant(name: str) -> None:
    raise ValueError(f"not JSON: {name}")


def load_strict_json(path: pathlib.Path) -> object:
    """Parses like the relay: strict UTF-8, no NaN/Infinity, no BOM."""
    return json.loads(path.read_bytes().decode("utf-8", errors="strict"), parse_constant=_reject_constant)


def validator_for(name: str) -> Draft202012Validator:
    schema = json.loads((ROOT / f"{name}.v1.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FORMATS)


def examples(kind: str) -> list[pytest.param]:
    return [
        pytest.param(path.parent.parent.name, path, id=f"{path.parent.parent.name}/{path.name}")
        for path in sorted(EXAMPLES.glob(f"*/{kind}/*.json"))
    ]


def test_every_schema_has_examples_both_ways() -> None:
    names = {path.name.removesuffix(".v1.json") for path in SCHEMAS}
    assert names == {
        "account-created", "milestone-reached", "referral-outcome", "referral-dlq", "referral-referee",
        "referral-referee-progress",
    }
    for name in names:
        assert len(list((EXAMPLES / name / "valid").glob("*.json"))) >= 3, name
        assert len(list((EXAMPLES / name / "invalid").glob("*.json"))) >= 3, name
    assert {path.name for path in EXAMPLES.iterdir()} == names


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12_and_documented(path: pathlib.Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:referral-relay:schema:{path.name.removesuffix('.v1.json')}:v1"
    assert schema["title"] and schema["description"]
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{path.name}: {name} has no description"
    for example in schema.get("examples", []):
        validator_for(path.name.removesuffix(".v1.json")).validate(example)


@pytest.mark.parametrize(("name", "path"), examples("valid"))
def test_valid_example_conforms(name: str, path: pathlib.Path) -> None:
    validator_for(name).validate(load_strict_json(path))


@pytest.mark.parametrize(("name", "path"), examples("invalid"))
def test_invalid_example_does_not_conform(name: str, path: pathlib.Path) -> None:
    try:
        instance = load_strict_json(path)
    except ValueError:
        return  # not JSON at all: the relay dead-letters it before any schema applies
    errors = list(validator_for(name).iter_errors(instance))
    assert errors, f"{path} conforms but is filed as invalid"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-25T02:09:15Z", True),
        ("2026-11-25t02:09:15.123456+05:30", True),
        ("2016-12-31T23:59:60Z", True),
        ("2017-01-01T00:59:60+01:00", True),
        ("2016-12-31T23:58:60Z", False),
        ("2026-02-29T00:00:00Z", False),
        ("2024-02-29T00:00:00Z", True),
        ("2026-11-25T02:09:15", False),
        ("2026-11-25 02:09:15Z", False),
        ("2026-11-25T02:09:15+24:00", False),
        ("２０２６-11-25T02:09:15Z", False),
    ],
)
def test_rfc3339_check_used_by_these_tests(value: str, expected: bool) -> None:
    assert is_rfc3339_date_time(value) is expected


def test_format_is_really_checked() -> None:
    # A pattern-conforming but impossible date must fail through the format checker, not pass silently.
    with pytest.raises(jsonschema.ValidationError):
        validator_for("account-created").validate({"account_id": "a", "created_at": "2026-02-30T00:00:00Z"})
