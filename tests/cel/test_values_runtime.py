"""Runtime value conversions and evaluation details: timestamps and durations from every
accepted form, zero values by declared type, runtime errors counted and kept, and conditions
whose answer is not a boolean."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from google.protobuf import duration_pb2, timestamp_pb2

from preo_tui.cel import (
    EvaluationStats,
    compile_condition,
    contract_context,
    normalize_activation,
    parse_type,
    timestamp_value,
    to_cel,
)
from preo_tui.cel.evaluate import duration_value, normalize

CTX = contract_context()


def test_timestamp_value_from_every_form() -> None:
    moment = dt.datetime(2026, 7, 3, 10, 0, 0, 250000, tzinfo=dt.UTC)
    ts = timestamp_value(moment)
    assert (ts.seconds, ts.nanos) == (int(moment.timestamp()), 250_000_000)
    assert timestamp_value(ts) is ts
    assert timestamp_value(None).seconds == 0
    assert timestamp_value("").seconds == 0
    assert timestamp_value("2026-07-03T10:00:00.25Z") == ts
    assert timestamp_value(moment.replace(tzinfo=None)) == ts  # naive is UTC
    assert timestamp_value(dt.date(1970, 1, 2)).seconds == 86400
    epoch = timestamp_value(1.5)
    assert (epoch.seconds, epoch.nanos) == (1, 500_000_000)
    with pytest.raises(TypeError, match="cannot make a timestamp"):
        timestamp_value(object())
    with pytest.raises(ValueError):
        timestamp_value("not a date")


def test_duration_value_from_timedelta_seconds_or_none() -> None:
    assert duration_value(dt.timedelta(minutes=2)).seconds == 120
    half = duration_value(0.5)
    assert (half.seconds, half.nanos) == (0, 500_000_000)
    assert duration_value(None) == duration_pb2.Duration()
    with pytest.raises(TypeError, match="cannot make a duration"):
        duration_value("1h")


def test_to_cel_converts_nested_plain_values() -> None:
    value = to_cel(
        {
            1: [dt.date(1970, 1, 1), (Decimal("2.5"),)],
            "d": dt.timedelta(seconds=3),
            "s": {"x"},
            "n": None,
        }
    )
    assert isinstance(value["1"][0], timestamp_pb2.Timestamp)
    assert value["1"][1] == [2.5]
    assert value["d"].seconds == 3
    assert value["s"] == ["x"] and value["n"] is None


def test_normalize_fills_zero_values_by_declared_type() -> None:
    record = parse_type({"name": "string", "age": "int", "score": "double", "ok": "bool"})
    assert normalize({"age": "7", "score": 1, "ok": 1}, record) == {
        "name": "",
        "age": 7,
        "score": 1.0,
        "ok": True,
    }
    assert normalize("not a record", record) == {"name": "", "age": 0, "score": 0.0, "ok": False}
    tags = parse_type(["string"])
    assert normalize(None, tags) == []
    assert normalize((1, 2), tags) == ["1", "2"]
    when = normalize("1970-01-01T00:00:10Z", parse_type("timestamp"))
    assert when.seconds == 10
    naive = dt.datetime(2026, 1, 1)
    top = normalize(naive, parse_type("timestamp"), top_level=True)
    assert top == naive.replace(tzinfo=dt.UTC)
    assert normalize(dt.timedelta(seconds=4), parse_type("duration")).seconds == 4


def test_an_activation_without_a_variable_gets_its_zero_value() -> None:
    values = normalize_activation({}, CTX)
    assert set(values) == {name for name, _ in CTX.variables}
    assert values["user"]["email"] == "" and values["orders"] == []


def person(email: str) -> dict[str, object]:
    return normalize_activation({"user": {"email": email}}, CTX)


def test_runtime_errors_make_a_non_member_and_the_first_is_kept() -> None:
    cond = compile_condition('user.email.matches(user.language + "(")')
    assert cond.evaluate(person("a@b")) is False
    member, error = cond.evaluate_detailed(person("a@b"))
    assert member is False and error is not None and error != ""
    stats = EvaluationStats()
    assert cond.select([person("a"), person("b")], stats) == []
    assert (stats.evaluated, stats.matched, stats.errors) == (2, 0, 2)
    assert stats.first_error == error


def test_select_counts_matches_across_passes() -> None:
    cond = compile_condition('user.email.endsWith("@example.com")')
    stats = EvaluationStats()
    people = [person("a@example.com"), person("b@other.org"), person("c@example.com")]
    assert cond.select(people, stats) == [0, 2]
    assert cond.select(people[:1], stats) == [0]
    assert (stats.evaluated, stats.matched, stats.errors, stats.first_error) == (4, 3, 0, None)
    assert cond.evaluate_detailed(people[1]) == (False, None)
    assert cond.evaluate_detailed(people[0]) == (True, None)


def test_an_activation_the_library_rejects_is_an_error_not_a_crash() -> None:
    cond = compile_condition('user.email == "x"')
    bad = {"user": {"email": object()}}
    assert cond.evaluate(bad) is False
    member, error = cond.evaluate_detailed(bad)
    assert member is False and error
    stats = EvaluationStats()
    assert cond.select([bad], stats) == []
    assert stats.errors == 1 and stats.first_error == error
