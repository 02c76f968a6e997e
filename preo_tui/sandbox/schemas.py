"""Response shapes of the sandbox's resources, for ``/openapi.json`` (and for tests).

Handlers return ``JSONResponse`` directly (fast: no per-row validation), so FastAPI uses these
``response_model`` classes only to document the responses. Tests validate real answers
against them (``extra="forbid"``), so the document cannot drift from the behaviour.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, RootModel

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Detail(Strict):
    detail: str
    code: str | None = None


class FieldErrorsBody(RootModel[dict[str, list[str]]]):
    """``{"<field>": ["message"], "non_field_errors": ["message"]}``"""


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": FieldErrorsBody, "description": "Invalid input"},
    401: {"model": Detail, "description": "Missing, invalid or expired token"},
    403: {"model": Detail, "description": "Not allowed for your role"},
    404: {"model": Detail, "description": "No such object"},
    409: {"model": Detail, "description": "Not allowed in the object's current state"},
}


class Page(Strict, Generic[T]):
    count: int
    next: str | None
    previous: str | None
    results: list[T]


class Tokens(Strict):
    access: str
    refresh: str


class AccessToken(Strict):
    access: str


class OrganizationRole(Strict):
    id: str
    name: str
    role: Literal["admin", "manager", "staff"]


class Me(Strict):
    id: str
    email: str
    first_name: str
    last_name: str
    phone: str | None
    organizations: list[OrganizationRole]


class Edition(Strict):
    id: str
    organization_id: str
    event_id: str
    name: str
    full_name: str
    slug: str
    timezone: str
    status: Literal["upcoming", "current", "past", "no_dates"]
    start_date: str | None
    end_date: str | None
    default_country_code: str
    default_language: str
    enabled_languages: list[str]
    tax_type: Literal["none", "vat", "sales"]
    fee_rule_id: str | None
    merchant_account_id: str | None
    meta_image_id: str | None
    transaction_receipt_email_id: str | None
    refund_confirmation_email_id: str | None
    is_draft: bool
    is_archived: bool
    currency: str
    created: str
    modified: str


class Choice(Strict):
    value: str
    label: str


class FieldChoices(Strict):
    timezone: list[Choice]
    default_language: list[Choice]
    enabled_languages: list[Choice]
    default_country_code: list[Choice]
    tax_type: list[Choice]
    pickup_point_id: list[Choice]


class Check(Strict):
    code: str
    level: Literal["ok", "warning", "error"]
    message: str


class Healthcheck(Strict):
    ok: bool
    checks: list[Check]


class Customer(Strict):
    id: str
    email: str
    phone: str | None
    first_name: str
    last_name: str


class Purchase(Strict):
    id: str
    order_id: str
    edition_id: str
    product_id: str
    product_name: str
    quantity: int
    unit_price: float
    deposit: float
    fees: float
    amount: float
    refunded_amount: float
    status: Literal["active", "partially_refunded", "refunded", "cancelled"]
    created: str
    modified: str


class Order(Strict):
    id: str
    order_number: str
    edition_id: str
    organization_id: str
    customer: Customer
    status: Literal["pending", "confirmed", "completed", "cancelled"]
    type: Literal["online", "in-person", "imported"]
    amount: float
    currency: str
    transaction_id: str | None
    created: str
    modified: str
    purchase_count: int | None = None


class OrderDetail(Order):
    purchases: list[Purchase]


class Person(Strict):
    id: str
    email: str
    first_name: str
    last_name: str


class PickupPoint(Strict):
    id: str
    name: str


class RefundRequest(Strict):
    id: str
    edition_id: str
    organization: str
    amount: float
    created: str
    modified: str
    can_approve: bool
    can_reject: bool
    scope: str
    status: Literal[
        "requested",
        "ready",
        "processing",
        "awaiting_gateway",
        "processed",
        "failed",
        "rejected",
        "invalid",
    ]
    comment: str | None
    service_response: dict[str, Any] | None
    refund_date: str | None
    requested_by: Person | None
    pickup_point: PickupPoint | None
    reason: str
    purchase_id: str | None
    order_id: str
    order_number: str
    customer_email: str
    customer_name: str
    product_name: str | None
    decided_by: Person | None
    decided_at: str | None
    decision_comment: str | None
    rejection_reason: str | None


class RefundPage(Page[RefundRequest]):
    total_amount: float


class PurchaseDetail(Purchase):
    refund_requests: list[RefundRequest]


class User(Strict):
    id: str
    email: str
    phone: str | None
    first_name: str
    last_name: str
    language: str
    country_code: str | None
    consents: list[str]
    order_count: int
    total_spent: float
    created: str
    modified: str


class Consent(Strict):
    id: str
    organization_id: str
    edition_id: str | None
    name: str
    description: str
    channel: Literal["email", "sms", "any"]
    is_active: bool
    user_count: int
    created: str
    modified: str


class Usage(Strict):
    model: str
    id: str


class File(Strict):
    api_id: str
    file_name: str
    organization_id: str
    file_url: str
    content_type: str
    size: int
    created_at: str
    updated_at: str
    usages: list[Usage]
    image_alt_text: str
    caption: str
    copyright: str
    tags: list[str]


class FilePage(Page[File]):
    available_tags: list[str]


class DataImport(Strict):
    id: str
    stage: Literal[
        "uploaded",
        "needs_column_mapping",
        "needs_product_mapping",
        "importing",
        "completed",
        "failed",
        "cancelled",
    ]
    name: str
    edition_id: str
    organization_id: str
    service: str
    data_file_name: str | None
    default_country_code: str
    total_rows: int
    imported_orders: int
    failed_rows: int
    error_message: str | None
    created: str
    modified: str


class ColumnMapping(Strict):
    column: str
    sample_values: list[str]
    target: str | None


class ProductMapping(Strict):
    source_name: str
    row_count: int
    product_id: str | None


class MappingCheck(Strict):
    valid: bool
    errors: list[str]


class PreviewPurchase(Strict):
    product_id: str
    product_name: str
    quantity: int
    unit_price: float
    deposit: float
    fees: float


class PreviewCustomer(Strict):
    email: str
    phone: str
    first_name: str
    last_name: str


class PreviewOrder(Strict):
    order_number: str
    customer: PreviewCustomer
    created: str | None
    amount: float
    purchases: list[PreviewPurchase]
    rows: list[int]
    errors: list[str]
    valid: bool


class WebhookEndpoint(Strict):
    id: str
    organization_id: str
    name: str
    url: str
    edition_id: str | None
    events: list[str]
    created: str
    modified: str
    is_active: bool
    timeout_seconds: int
    secret: str


class WebhookDelivery(Strict):
    id: str
    endpoint_id: str
    event: str
    status: Literal["pending", "succeeded", "failed"]
    attempt_count: int
    response_status: int | None
    response_body: str | None
    duration_ms: int | None
    created: str
    next_retry_at: str | None
    payload: dict[str, Any]


class Secret(Strict):
    secret: str
