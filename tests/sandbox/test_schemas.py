"""Real answers match the response models published in /openapi.json (no drift either way)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

from preo_tui.sandbox import schemas
from tests.fixtures.sandbox import Sandbox


def check(model: Any, payload: Any) -> None:
    if isinstance(model, type) and issubclass(model, BaseModel):
        model.model_validate(payload)
    else:
        TypeAdapter(model).validate_python(payload)


async def test_responses_match_their_documented_models(sandbox: Sandbox) -> None:
    async with sandbox.client() as c:

        async def get(url: str, model: Any, **params: Any) -> Any:
            r = await c.get(url, params=params)
            assert r.status_code == 200, (url, r.text)
            check(model, r.json())
            return r.json()

        eid = sandbox.editions["current"]
        await get("/v1/auth/me", schemas.Me)
        await get("/v1/editions", schemas.Page[schemas.Edition])
        await get(f"/v1/editions/{eid}/field-choices", schemas.FieldChoices)
        await get(f"/v1/editions/{eid}/healthcheck", schemas.Healthcheck)
        orders = await get("/v1/orders", schemas.Page[schemas.Order], edition_id=eid)
        order = await get(f"/v1/orders/{orders['results'][0]['id']}", schemas.OrderDetail)
        await get(f"/v1/purchases/{order['purchases'][0]['id']}", schemas.PurchaseDetail)
        for status in ("requested", "processed", "failed", "rejected", "invalid", "ready"):
            await get("/v1/refund-requests", schemas.RefundPage, status=status)
        await get("/v1/users", schemas.Page[schemas.User], edition_id=eid)
        await get("/v1/consents", schemas.Page[schemas.Consent])
        await get("/v1/files", schemas.FilePage)
        imports = await get(
            "/v1/data-imports", schemas.Page[schemas.DataImport], include_cancelled="true"
        )
        for item in imports["results"]:
            await get(f"/v1/data-imports/{item['id']}/column-mappings", list[schemas.ColumnMapping])
            await get(
                f"/v1/data-imports/{item['id']}/product-mappings", list[schemas.ProductMapping]
            )
            if item["stage"] in ("needs_product_mapping", "completed"):
                await get(
                    f"/v1/data-imports/{item['id']}/preview-orders",
                    schemas.Page[schemas.PreviewOrder],
                )
        hooks = await get("/v1/webhooks", schemas.Page[schemas.WebhookEndpoint])
        for hook in hooks["results"]:
            await get(
                f"/v1/webhooks/{hook['id']}/deliveries", schemas.Page[schemas.WebhookDelivery]
            )
        r = await c.get("/v1/orders/ord_nope")
        check(schemas.Detail, r.json())
        r = await c.get("/v1/orders")
        check(schemas.FieldErrorsBody, r.json())


def test_openapi_documents_responses_and_errors(sandbox_factory: Any) -> None:
    spec = sandbox_factory().app.openapi()
    op = spec["paths"]["/v1/refund-requests/{id}/approve"]["post"]
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/RefundRequest"
    )
    assert {"400", "401", "403", "404", "409"} <= set(op["responses"])
    assert "RefundPage" in spec["components"]["schemas"]
