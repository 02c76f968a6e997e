"""Pure unit tests of the client core: error mapping, retries, refresh, limits, redaction.

No server: httpx.MockTransport answers. Retry sleeps are recorded, not slept.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import httpx
import pytest

from preo_tui.api import (
    AuthError,
    Conflict,
    ConnectionEvent,
    ConnectionState,
    DecodeError,
    NetworkError,
    NotFound,
    PermissionDenied,
    PreoError,
    RateLimited,
    RetryPolicy,
    ServerError,
    Tokens,
    Unsupported,
    ValidationFailed,
)
from preo_tui.api.refunds import RefundStatus

from .helpers import REFUND, body, make_client, page

TOKEN = "tok-access-123456"


def json_response(status: int, payload: object, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


# -- error mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "payload", "cls"),
    [
        (400, {"reason": ["This field is required."]}, ValidationFailed),
        (401, {"detail": "Authentication credentials were not provided."}, AuthError),
        (403, {"detail": "You do not have permission."}, PermissionDenied),
        (404, {"detail": "Not found."}, NotFound),
        (404, {"detail": "Not Found"}, Unsupported),
        (405, {"detail": 'Method "POST" not allowed.'}, Unsupported),
        (409, {"detail": "Refund request is not in state requested."}, Conflict),
        (422, {"detail": [{"loc": ["body", "reason"], "msg": "field required"}]}, ValidationFailed),
        (500, {"detail": "boom"}, ServerError),
        (418, {"detail": "teapot"}, PreoError),
    ],
)
async def test_status_maps_to_error(status: int, payload: object, cls: type[PreoError]) -> None:
    preo, rec = make_client(lambda r: json_response(status, payload, **{"X-Request-ID": "srv-1"}))
    async with preo:
        with pytest.raises(cls) as info:
            await preo.refunds.approve("rfr_1", comment="ok")
    err = info.value
    assert type(err) is cls
    assert err.method == "POST"
    assert err.path == "/v1/refund-requests/rfr_1/approve"
    assert err.status == status
    assert err.request_id == "srv-1" and err.operation == "refunds.approve"
    assert "POST /v1/refund-requests/rfr_1/approve" in str(err)


async def test_validation_fields_from_drf_and_fastapi_bodies() -> None:
    drf = {"amount": ["Too large.", "Must be positive."], "non_field_errors": ["Nope."]}
    preo, _ = make_client(lambda r: json_response(400, drf))
    async with preo:
        with pytest.raises(ValidationFailed) as info:
            await preo.purchases.refund("pur_1", reason="compensation", scope="purchase_custom")
    assert info.value.fields == drf
    assert "amount: Too large. Must be positive." in info.value.message

    fast = {"detail": [{"loc": ["body", "reason"], "msg": "Field required", "type": "missing"}]}
    preo, _ = make_client(lambda r: json_response(422, fast))
    async with preo:
        with pytest.raises(ValidationFailed) as info:
            await preo.refunds.reject("rfr_1", reason="x")
    assert info.value.fields == {"reason": ["Field required"]}


async def test_request_id_sent_and_falls_back_to_ours() -> None:
    preo, rec = make_client(lambda r: json_response(409, {"detail": "no"}))
    async with preo:
        with pytest.raises(Conflict) as info:
            await preo.refunds.approve("rfr_1")
    sent = rec.requests[0].headers["X-Request-ID"]
    assert sent and info.value.request_id == sent


async def test_404_rule_for_collections_and_non_json() -> None:
    # A collection that 404s is a missing endpoint whatever the body says.
    preo, _ = make_client(lambda r: json_response(404, {"detail": "Not found."}))
    async with preo:
        with pytest.raises(Unsupported) as info:
            await preo.consents.list()
        assert "List consents" in info.value.message
    # An HTML 404 on an object path is a missing route too.
    preo, _ = make_client(lambda r: httpx.Response(404, text="<h1>Not Found</h1>"))
    async with preo:
        with pytest.raises(Unsupported):
            await preo.editions.healthcheck("edt_1")


async def test_garbage_and_wrong_shape_raise_decode_error() -> None:
    preo, _ = make_client(lambda r: httpx.Response(200, content=b"{not json"))
    async with preo:
        with pytest.raises(DecodeError) as info:
            await preo.refunds.get("rfr_1")
    assert info.value.status == 200 and "not valid JSON" in info.value.message

    preo, _ = make_client(lambda r: json_response(200, {"id": 5, "amount": "lots"}))
    async with preo:
        with pytest.raises(DecodeError) as info:
            await preo.refunds.get("rfr_1")
    assert "amount" in info.value.message and "lots" not in info.value.message

    preo, _ = make_client(lambda r: json_response(200, [1, 2]))
    async with preo:
        with pytest.raises(DecodeError):
            await preo.refunds.list()


async def test_bad_id_is_a_clear_error_and_ids_are_one_segment() -> None:
    preo, rec = make_client(lambda r: json_response(200, REFUND))
    async with preo:
        with pytest.raises(ValidationFailed):
            await preo.refunds.get("  ")
        await preo.refunds.get("../auth/me?x=1")
    assert rec.requests[0].url.raw_path == b"/v1/refund-requests/..%2Fauth%2Fme%3Fx%3D1"


# -- retries ------------------------------------------------------------------------------------


async def test_retries_5xx_with_the_same_idempotency_key() -> None:
    answers = iter([503, 500, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        return json_response(status, REFUND if status == 200 else {"detail": "down"})

    events: list[ConnectionEvent] = []
    preo, rec = make_client(handler)
    preo.add_listener(events.append)
    async with preo:
        rr = await preo.refunds.approve("rfr_1", comment="ok")
    assert rr.status is RefundStatus.REQUESTED
    assert len(rec.requests) == 3
    keys = {r.headers["Idempotency-Key"] for r in rec.requests}
    assert len(keys) == 1
    assert len({r.headers["X-Request-ID"] for r in rec.requests}) == 3
    assert [e.state for e in events] == [
        ConnectionState.RETRYING,
        ConnectionState.RETRYING,
        ConnectionState.ONLINE,
    ]
    assert all(body(r) == {"comment": "ok"} for r in rec.requests)


async def test_caller_idempotency_key_is_used() -> None:
    preo, rec = make_client(lambda r: json_response(200, REFUND))
    async with preo:
        await preo.refunds.approve("rfr_1", idempotency_key="key-1")
        await preo.refunds.approve("rfr_1")
        await preo.refunds.approve("rfr_1")
    keys = [r.headers["Idempotency-Key"] for r in rec.requests]
    assert keys[0] == "key-1" and keys[1] != keys[2]


async def test_gets_carry_no_idempotency_key() -> None:
    preo, rec = make_client(lambda r: json_response(200, REFUND))
    async with preo:
        await preo.refunds.get("rfr_1")
    assert "Idempotency-Key" not in rec.requests[0].headers
    assert rec.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409])
async def test_never_retries_client_errors(status: int) -> None:
    preo, rec = make_client(lambda r: json_response(status, {"detail": "x"}))
    async with preo:
        with pytest.raises(PreoError):
            await preo.refunds.approve("rfr_1")
    assert len(rec.requests) == 1


async def test_exhausted_retries_raise_and_go_offline() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    events: list[ConnectionEvent] = []
    preo, rec = make_client(handler)
    preo.add_listener(events.append)
    async with preo:
        with pytest.raises(NetworkError) as info:
            await preo.orders.list(edition_id="edt_1")
    assert len(rec.requests) == 4
    assert info.value.status is None and info.value.path == "/v1/orders"
    assert events[-1].state is ConnectionState.OFFLINE
    assert sum(e.state is ConnectionState.RETRYING for e in events) == 3

    preo, rec = make_client(lambda r: json_response(502, {"detail": "bad gateway"}))
    async with preo:
        with pytest.raises(ServerError) as err:
            await preo.refunds.approve("rfr_1")
    assert err.value.status == 502 and len(rec.requests) == 4


async def test_timeouts_become_network_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    preo, rec = make_client(handler, retry=RetryPolicy(attempts=2, backoff_initial=0, jitter=0))
    async with preo:
        with pytest.raises(NetworkError, match="Timed out"):
            await preo.refunds.get("rfr_1")
    assert len(rec.requests) == 2


async def test_backoff_grows_and_retry_after_is_honoured() -> None:
    answers = iter(
        [
            json_response(503, {}),
            json_response(503, {}),
            json_response(429, {"detail": "slow down"}, **{"Retry-After": "7"}),
            json_response(200, REFUND),
        ]
    )
    policy = RetryPolicy(attempts=4, backoff_initial=0.5, backoff_max=10, jitter=0.0)
    preo, rec = make_client(lambda r: next(answers), retry=policy)
    async with preo:
        await preo.refunds.get("rfr_1")
    assert rec.sleeps == [0.5, 1.0, 7.0]


async def test_long_retry_after_is_raised_at_once() -> None:
    preo, rec = make_client(
        lambda r: json_response(429, {"detail": "quota"}, **{"Retry-After": "3600"})
    )
    async with preo:
        with pytest.raises(RateLimited) as info:
            await preo.refunds.get("rfr_1")
    assert info.value.retry_after == 3600 and len(rec.requests) == 1 and rec.sleeps == []


async def test_delete_gone_on_retry_counts_as_done() -> None:
    answers = iter([json_response(503, {}), json_response(404, {"detail": "Not found."})])
    preo, rec = make_client(lambda r: next(answers))
    async with preo:
        assert await preo.consents.delete("cns_1") is None
    assert len(rec.requests) == 2
    # ...but a first-attempt 404 is a real NotFound.
    preo, _ = make_client(lambda r: json_response(404, {"detail": "Not found."}))
    async with preo:
        with pytest.raises(NotFound):
            await preo.consents.delete("cns_1")


# -- auth ---------------------------------------------------------------------------------------


def refreshing_server(calls: dict[str, int], *, refresh_ok: bool = True):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/token/refresh":
            calls["refresh"] += 1
            assert "Authorization" not in request.headers
            if not refresh_ok:
                return json_response(401, {"detail": "Token expired", "code": "token_not_valid"})
            assert body(request) == {"refresh": "tok-refresh-abcdef"}
            return json_response(200, {"access": "tok-access-NEW999"})
        if request.headers.get("Authorization") == "Bearer tok-access-NEW999":
            return json_response(200, REFUND)
        return json_response(401, {"detail": "Token expired", "code": "token_not_valid"})

    return handler


async def test_expired_token_refreshes_once_and_replays() -> None:
    calls = {"refresh": 0}
    saved: list[Tokens] = []
    events: list[ConnectionEvent] = []
    preo, rec = make_client(
        refreshing_server(calls), refresh_token="tok-refresh-abcdef", on_tokens=saved.append
    )
    preo.add_listener(events.append)
    async with preo:
        results = await asyncio.gather(*(preo.refunds.approve(f"rfr_{i}") for i in range(6)))
    assert len(results) == 6 and calls["refresh"] == 1
    assert saved == [Tokens("tok-access-NEW999", "tok-refresh-abcdef")]
    assert preo.tokens == Tokens("tok-access-NEW999", "tok-refresh-abcdef")
    assert ConnectionState.TOKENS_REFRESHED in [e.state for e in events]
    # the replay reuses each action's idempotency key
    approvals = [r for r in rec.requests if r.url.path.endswith("/approve")]
    by_path: dict[str, set[str]] = {}
    for r in approvals:
        by_path.setdefault(r.url.path, set()).add(r.headers["Idempotency-Key"])
    assert all(len(keys) == 1 for keys in by_path.values())
    assert "NEW999" not in repr(saved[0]) and "abcdef" not in repr(preo.tokens)


async def test_failed_refresh_raises_auth_error_and_reports_expiry() -> None:
    calls = {"refresh": 0}
    events: list[ConnectionEvent] = []
    preo, _ = make_client(
        refreshing_server(calls, refresh_ok=False), refresh_token="tok-refresh-abcdef"
    )
    preo.add_listener(events.append)
    async with preo:
        with pytest.raises(AuthError, match="sign in again"):
            await preo.refunds.get("rfr_1")
        with pytest.raises(AuthError):
            await preo.refunds.get("rfr_1")
    assert calls["refresh"] == 1  # a refresh token known to be dead is not tried again
    assert events[-1].state is ConnectionState.AUTH_EXPIRED


async def test_401_without_refresh_token_is_auth_error() -> None:
    calls = {"refresh": 0}
    events: list[ConnectionEvent] = []
    preo, rec = make_client(refreshing_server(calls))
    preo.add_listener(events.append)
    async with preo:
        with pytest.raises(AuthError) as info:
            await preo.refunds.get("rfr_1")
    assert info.value.code == "token_not_valid" and calls["refresh"] == 0
    assert [e.state for e in events] == [ConnectionState.AUTH_EXPIRED]


async def test_login_adopts_tokens() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/token":
            assert "Authorization" not in request.headers
            return json_response(200, {"access": "tok-a-111111", "refresh": "tok-r-222222"})
        assert request.headers["Authorization"] == "Bearer tok-a-111111"
        return json_response(
            200,
            {"id": "usr_1", "email": "a@b.c", "organizations": [{"id": "org_1", "role": "owner"}]},
        )

    saved: list[Tokens] = []
    preo, _ = make_client(handler, token=None, on_tokens=saved.append)
    async with preo:
        pair = await preo.auth.login("a@b.c", "hunter22")
        me = await preo.auth.me()
    assert "tok-a" not in repr(pair)
    assert saved == [Tokens("tok-a-111111", "tok-r-222222")]
    assert me.role_in("org_1") == "owner"  # unknown role kept as a string


# -- secrets never leak -------------------------------------------------------------------------


async def test_token_never_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        echo = request.headers.get("Authorization", "") + " " + request.content.decode()
        if request.url.path == "/v1/auth/token":
            return json_response(200, {"access": TOKEN, "refresh": "tok-refresh-abcdef"})
        if request.url.path == "/v1/auth/pin":
            return httpx.Response(204)
        if request.url.path.endswith("/rotate-secret"):
            return json_response(200, {"secret": "whsec-SECRET-42"})
        return json_response(400, {"detail": f"bad {echo}", "token": TOKEN, "x": [echo]})

    caplog.set_level(logging.DEBUG, logger="preo_tui.api")
    preo, _ = make_client(handler)
    async with preo:
        await preo.auth.login("ops@example.com", "pa55word-XYZ")
        secret = await preo.webhooks.rotate_secret("whe_1")
        with pytest.raises(ValidationFailed) as info:
            await preo.refunds.reject("rfr_1", reason="nope")
        await preo.auth.request_pin("+4512345678")
        with pytest.raises(ValidationFailed):
            await preo.auth.verify_pin("+4512345678", "918273")
    assert secret == "whsec-SECRET-42"
    err = info.value
    texts = [str(err), repr(err), err.message, repr(err.detail), repr(err.fields), repr(err.args)]
    for text in texts:
        assert TOKEN not in text and "tok-refresh-abcdef" not in text
    logged = caplog.text
    assert "POST /v1/auth/token" in logged  # the log does say what happened
    for secret_text in (TOKEN, "tok-refresh-abcdef", "pa55word-XYZ", "whsec-SECRET-42", "918273"):
        assert secret_text not in logged
    assert "Bearer" not in logged


async def test_debug_log_line_has_method_path_status_duration_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="preo_tui.api")
    preo, _ = make_client(lambda r: json_response(200, REFUND, **{"X-Request-ID": "srv-77"}))
    async with preo:
        await preo.refunds.get("rfr_1")
    line = next(r.getMessage() for r in caplog.records if "->" in r.getMessage())
    assert line.startswith("GET /v1/refund-requests/rfr_1 -> 200 in ")
    assert "ms [request srv-77]" in line


# -- concurrency, paging, params ----------------------------------------------------------------


async def test_concurrency_limit_is_shared() -> None:
    in_flight = 0
    peak = 0
    gate = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight >= 3:
            gate.set()
        await gate.wait()
        await asyncio.sleep(0)
        in_flight -= 1
        return json_response(200, REFUND)

    preo, rec = make_client(handler, max_concurrency=3)
    async with preo:
        tasks = [preo.refunds.get(f"rfr_{i}") for i in range(10)] + [
            preo.refunds.approve(f"rfr_{i}") for i in range(10)
        ]
        await asyncio.gather(*tasks)
    assert peak == 3 and len(rec.requests) == 20
    assert preo.writes_in_flight == 0


async def test_writes_in_flight_counts_logical_writes() -> None:
    release = asyncio.Event()
    seen: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return json_response(200, REFUND)

    preo, _ = make_client(handler)
    async with preo:
        tasks = [asyncio.create_task(preo.refunds.approve(f"rfr_{i}")) for i in range(3)]
        reader = asyncio.create_task(preo.refunds.get("rfr_9"))
        for _ in range(20):
            await asyncio.sleep(0)
            if preo.writes_in_flight == 3:
                break
        seen.append(preo.writes_in_flight)
        release.set()
        await asyncio.gather(*tasks, reader)
    assert seen == [3] and preo.writes_in_flight == 0


async def test_iterate_follows_next_on_our_own_host() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "preo.test"
        number = int(request.url.params.get("page", "1"))
        items = [dict(REFUND, id=f"rfr_{number}_{i}") for i in range(2)]
        nxt = f"https://evil.example/v1/refund-requests?page={number + 1}&status=requested"
        return json_response(200, page(items, count=6, next=nxt if number < 3 else None))

    preo, rec = make_client(handler)
    async with preo:
        ids = [rr.id async for rr in preo.refunds.iterate(status="requested")]
        first = await preo.refunds.list(status="requested", page=2)
    assert len(ids) == 6 and ids[0] == "rfr_1_0" and ids[-1] == "rfr_3_1"
    assert all(r.url.params["status"] == "requested" for r in rec.requests)
    assert first.page == 2 and first.has_next and first.count == 6


async def test_iterate_stops_on_a_next_loop() -> None:
    same = "http://preo.test/v1/consents?page=1"
    preo, rec = make_client(lambda r: json_response(200, page([{"id": "cns_1"}], next=same)))
    async with preo:
        items = [c async for c in preo.consents.iterate(page=1)]
    assert len(items) == 1 and len(rec.requests) == 1


async def test_filters_accept_enums_lists_bools_and_datetimes() -> None:
    from datetime import UTC, datetime

    preo, rec = make_client(lambda r: json_response(200, page([REFUND])))
    async with preo:
        result = await preo.refunds.list(
            status=[RefundStatus.REQUESTED, "ready"],
            created_after=datetime(2026, 6, 1, tzinfo=UTC),
            ordering="-created",
            organization_id=None,
        )
        await preo.editions.list(is_archived=False, status="current")
    params = rec.requests[0].url.params
    assert params["status"] == "requested,ready"
    assert params["created_after"] == "2026-06-01T00:00:00+00:00"
    assert "organization_id" not in params
    assert rec.requests[1].url.params["is_archived"] == "false"
    assert result.results[0].amount == Decimal("250.0")


async def test_listener_errors_do_not_break_the_client() -> None:
    preo, _ = make_client(lambda r: json_response(200, REFUND))

    def broken(event: ConnectionEvent) -> None:
        raise RuntimeError("listener bug")

    seen: list[str] = []
    remove = preo.add_listener(broken)
    preo.add_listener(lambda event: seen.append(event.state.value))
    async with preo:
        first = await preo.refunds.get("rfr_1")
        remove()
        second = await preo.refunds.get("rfr_1")
    # The broken listener raised on the first event, yet the call answered and the listener
    # after it still heard the event.
    assert first.id == second.id == REFUND["id"]
    assert seen[:1] == ["online"]


async def test_messages_about_secret_fields_are_kept_but_secret_values_scrubbed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        sent = body(request)
        return json_response(
            400,
            {
                "pin": ["Incorrect PIN; 4 tries left.", f"You typed {sent['pin']}."],
                "token": "server-side-token-value",
            },
        )

    preo, _ = make_client(handler)
    async with preo:
        with pytest.raises(ValidationFailed) as info:
            await preo.auth.verify_pin("+4512345678", "918273")
    err = info.value
    assert err.fields["pin"] == ["Incorrect PIN; 4 tries left.", "You typed ***."]
    assert err.fields["token"] == ["***"]
    assert "Incorrect PIN; 4 tries left." in err.message and "918273" not in str(err)


async def test_status_and_type_are_ordinary_fields_in_a_400() -> None:
    payload = {"status": ["Not a valid choice."], "type": ["Bad type."], "code": ["Bad code."]}
    preo, _ = make_client(lambda r: json_response(400, payload))
    async with preo:
        with pytest.raises(ValidationFailed) as info:
            await preo.orders.list(edition_id="edt_1", status="nope")
    assert info.value.fields == payload


async def test_a_bare_list_answer_reads_as_one_complete_page() -> None:
    preo, rec = make_client(lambda r: json_response(200, [{"id": "cns_1"}, {"id": "cns_2"}]))
    async with preo:
        page = await preo.consents.list()
        items = [c.id async for c in preo.consents.iterate()]
    assert page.count == 2 and not page.has_next and items == ["cns_1", "cns_2"]
    assert len(rec.requests) == 2


async def test_refund_list_amount_filters_and_total_amount() -> None:
    payload = dict(page([dict(REFUND, product_name="Pass", customer_name="Ann B")]))
    payload["total_amount"] = 1234.5
    preo, rec = make_client(lambda r: json_response(200, payload))
    async with preo:
        result = await preo.refunds.list(amount_min=Decimal("10"), amount_max=200, page=3)
    assert rec.requests[0].url.params["amount_min"] == "10"
    assert rec.requests[0].url.params["amount_max"] == "200"
    assert result.total_amount == Decimal("1234.5") and result.page == 3
    assert result.results[0].customer_name == "Ann B"


def test_bad_server_url_or_limit_is_a_clear_error() -> None:
    from preo_tui.api import PreoClient

    with pytest.raises(ValueError, match="http:// or https://"):
        PreoClient("localhost:8765")
    with pytest.raises(ValueError, match="max_concurrency"):
        PreoClient("http://x.test", max_concurrency=0)
