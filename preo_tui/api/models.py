"""Every response model and enum, in one namespace (``from preo_tui.api.models import
RefundRequest``). Each is defined in its resource's module, beside its paths."""

from ._base import Page, PreoModel
from .auth import Me, Membership, Role, TokenPair
from .campaigns import Campaign, CampaignStats, CampaignStatus, Channel, TimelinePoint
from .consents import Consent, ConsentChannel
from .data_imports import (
    ColumnMapping,
    ColumnTarget,
    DataImport,
    MappingValidation,
    PreviewOrder,
    PreviewPurchase,
    ProductMapping,
    Stage,
)
from .editions import (
    CheckLevel,
    Choice,
    Edition,
    EditionStatus,
    HealthCheck,
    HealthCheckItem,
    Language,
    TaxType,
)
from .email_messages import (
    Block,
    BlockType,
    EmailMessage,
    EmailPreview,
    EmailScope,
    EmailTemplate,
    EmailType,
    TemplateVariable,
)
from .files import File, FilePage, Usage
from .orders import Customer, Order, OrderStatus, OrderType
from .purchases import Purchase, PurchaseStatus
from .refunds import (
    Person,
    PickupPoint,
    RefundPage,
    RefundReason,
    RefundRequest,
    RefundScope,
    RefundStatus,
)
from .segments import (
    CelContext,
    CelError,
    CelValidation,
    CommunicationChannel,
    CommunicationType,
    DynamicValues,
    NamedRef,
    Segment,
    SegmentStatus,
)
from .users import User
from .webhooks import DeliveryStatus, RotatedSecret, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "Block", "BlockType", "Campaign", "CampaignStats", "CampaignStatus", "CelContext",
    "CelError", "CelValidation", "Channel", "CheckLevel", "Choice", "ColumnMapping",
    "ColumnTarget", "CommunicationChannel", "CommunicationType", "Consent", "ConsentChannel",
    "Customer", "DataImport", "DeliveryStatus", "DynamicValues", "Edition", "EditionStatus",
    "EmailMessage", "EmailPreview", "EmailScope", "EmailTemplate", "EmailType", "File",
    "FilePage", "HealthCheck", "HealthCheckItem", "Language", "MappingValidation", "Me", "PreviewOrder", "PreviewPurchase",
    "Membership", "NamedRef", "Order", "OrderStatus", "OrderType", "Page", "Person",
    "PickupPoint", "PreoModel", "ProductMapping", "Purchase", "PurchaseStatus", "RefundPage", "RefundReason",
    "RefundRequest", "RefundScope", "RefundStatus", "Role", "RotatedSecret", "Segment",
    "SegmentStatus", "Stage", "TaxType", "TemplateVariable", "TimelinePoint", "TokenPair",
    "Usage", "User", "WebhookDelivery", "WebhookEndpoint", "WebhookEvent",
]  # fmt: skip
