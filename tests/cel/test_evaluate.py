"""Evaluation over plain values."""

from __future__ import annotations

import datetime as dt

import pytest

from preo_tui.cel import (
    CONTRACT_EXAMPLES,
    ConditionError,
    EvaluationStats,
    compile_condition,
    contract_context,
    field_usage,
    normalize_activation,
    slim,
    timestamp_value,
    to_cel,
)

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
CTX = contract_context()


def person(**kw: object) -> dict[str, object]:
    user = {
        "id": "usr_1",
        "email": "ann@example.com",
        "language": "da",
        "created": NOW - dt.timedelta(days=10),
        "consents": ["cns_newsletter"],
    }
    user.update(kw.pop("user", {}))  # type: ignore[call-overload]
    values = {"user": user, "orders": kw.pop("orders", []), "edition": {"id": "edt_1"}, "now": NOW}
    return normalize_activation(values, CTX)


ORDER = {
    "id": "ord_1",
    "status": "completed",
    "amount": 600,
    "created": "2026-06-01T10:00:00Z",
    "purchases": [{"product_id": "prd_vip", "status": "active", "quantity": 1, "amount": 600.0}],
}


@pytest.mark.parametrize(
    ("text", "member", "non_member"),
    [
        (CONTRACT_EXAMPLES[0], person(), person(user={"language": "en"})),
        (CONTRACT_EXAMPLES[1], person(orders=[ORDER]), person(orders=[dict(ORDER, amount=20)])),
        (
            CONTRACT_EXAMPLES[2],
            person(orders=[dict(ORDER, status="cancelled")]),
            person(orders=[ORDER]),
        ),
        (CONTRACT_EXAMPLES[3], person(orders=[ORDER]), person(orders=[dict(ORDER, purchases=[])])),
        (CONTRACT_EXAMPLES[4], person(), person(user={"created": NOW - dt.timedelta(days=40)})),
        ('user.phone == ""', person(), person(user={"phone": "+4512345678"})),
        (
            "edition.start_date < now",
            person(),
            normalize_activation({"now": dt.datetime(1960, 1, 1, tzinfo=dt.UTC)}, CTX),
        ),
    ],
)
def test_examples_select_the_right_people(text: str, member: dict, non_member: dict) -> None:
    cond = compile_condition(text, CTX)
    assert cond.evaluate(member) is True
    assert cond.evaluate(non_member) is False
    assert cond.select([non_member, member, non_member]) == [1]


def test_runtime_errors_are_non_members_and_reported() -> None:
    cond = compile_condition("user.email.matches(user.first_name)", CTX)
    stats = EvaluationStats()
    good = person(user={"first_name": "ann"})
    bad = person(user={"first_name": "("})
    assert cond.select([good, bad, {"user": {"email": dt.datetime.now()}}], stats) == [0]
    assert (stats.evaluated, stats.matched, stats.errors) == (3, 1, 2)
    assert stats.first_error and "regular expression" in stats.first_error
    member, error = cond.evaluate_detailed(bad)
    assert member is False and error


def test_invalid_conditions_raise_with_diagnostics() -> None:
    with pytest.raises(ConditionError) as info:
        compile_condition('user.agee == "x"', CTX)
    assert info.value.diagnostics[0].column == 6
    with pytest.raises(ConditionError):
        compile_condition("size(orders)", CTX)


def test_timestamp_conversions() -> None:
    assert timestamp_value("1970-01-01T00:01:00Z").seconds == 60
    assert timestamp_value(dt.datetime(1970, 1, 1, 0, 0, 1, 500000)).nanos == 500_000_000
    assert timestamp_value(90.25).seconds == 90
    assert timestamp_value(None).seconds == 0
    assert timestamp_value(dt.date(1970, 1, 2)).seconds == 86400
    with pytest.raises(TypeError):
        timestamp_value(object())
    converted = to_cel({"a": [dt.datetime(1970, 1, 1, tzinfo=dt.UTC)], "b": dt.timedelta(hours=1)})
    assert converted["a"][0].seconds == 0 and converted["b"].seconds == 3600


@pytest.mark.parametrize(
    ("text", "variables", "fields"),
    [
        ('user.language == "da"', {"user"}, {"language"}),
        (CONTRACT_EXAMPLES[2], {"user", "orders"}, {"consents", "status"}),
        (CONTRACT_EXAMPLES[3], {"orders"}, {"purchases", "product_id", "status"}),
        (CONTRACT_EXAMPLES[4], {"user", "now"}, {"created"}),
        ('user.consents.exists(c, c == "x")', {"user"}, {"consents"}),
        ("orders[0].amount > 1.0", {"orders"}, {"amount"}),
    ],
)
def test_field_usage(text: str, variables: set[str], fields: set[str]) -> None:
    usage = field_usage(text, CTX)
    assert usage is not None
    assert usage.variables == variables and usage.fields == fields


@pytest.mark.parametrize(
    "text",
    [
        'user["email"] == "x"',
        "user == {}",
        '"language" in user',
        "orders[0] == {}",
        "orders == []",
        "orders.exists(o, o == {})",
        "orders.map(o, o.amount).exists(a, a > 1.0)",
    ],
)
def test_field_usage_keeps_whole_records_when_objects_are_values(text: str) -> None:
    assert field_usage(text, CTX) is None


def test_has_means_set_to_a_non_zero_value_like_the_type_checker() -> None:
    with_phone = person(user={"phone": "+4512345678"})
    without = person()  # no phone, no purchases: zero values are filled in
    cond = compile_condition("has(user.phone)", CTX)
    assert cond.evaluate(with_phone) is True
    assert cond.evaluate(without) is False
    cond = compile_condition("has(user.consents) && !has(user.country_code)", CTX)
    assert cond.evaluate(without) is True
    cond = compile_condition("orders.exists(o, has(o.purchases))", CTX)
    assert cond.evaluate(person(orders=[ORDER])) is True
    assert cond.evaluate(person(orders=[dict(ORDER, purchases=[])])) is False


@pytest.mark.parametrize(
    "text", [*CONTRACT_EXAMPLES, "has(user.phone) && orders.all(o, o.amount > 1.0)"]
)
def test_slim_records_give_the_same_verdicts(text: str) -> None:
    people = [
        person(),
        person(orders=[ORDER]),
        person(user={"language": "en", "phone": "+46701234567"}, orders=[dict(ORDER, amount=20)]),
        person(user={"consents": [], "created": NOW - dt.timedelta(days=400)}),
    ]
    cond = compile_condition(text, CTX)
    usage = field_usage(text, CTX)
    trimmed = [slim(p, usage) for p in people]
    assert cond.select(trimmed) == cond.select(people)
    if usage is not None:
        assert all(set(t) <= usage.variables for t in trimmed)


def test_slim_without_usage_keeps_everything() -> None:
    values = person()
    assert slim(values, None) == values
