"""Stripe webhooks: `POST /v1/webhooks/stripe` marks exported invoices paid or payment-failed.

The caller is Stripe, proven by the `Stripe-Signature` header (HMAC-SHA256 of `<t>.<body>` with
the endpoint's signing secret, checked by the SDK's `Webhook.construct_event`, which also refuses
timestamps older than five minutes against replays). Stripe delivers at least once, so events are
de-duplicated by their id in the transaction that applies them: a redelivery is acknowledged and
changes nothing, and an event whose handling failed is not recorded, so Stripe's retry applies it.

Events we cannot apply (an unknown invoice, a payment failure after the invoice was paid, a type
we do not handle) are acknowledged with 200 and their outcome recorded, because an error answer
only makes Stripe retry for days what can never succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import stripe
from litestar import Controller, Request, post
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, RequestBody, Schema

from fluxforge.audit.models import AuditContext
from fluxforge.billing.invoices import service
from fluxforge.billing.invoices.models import WebhookAck
from fluxforge.errors import BadRequest, ProblemError
from fluxforge.telemetry import request_id_var
from fluxforge.web.contract import ContractOperation
from fluxforge.web.problems import problem_responses
from fluxforge.web.services import Services

WEBHOOK_ACTOR = "stripe:webhook"


class _EventData(msgspec.Struct):
    object: dict[str, Any]


class _EventShape(msgspec.Struct):
    """What an event must carry before we act on it: `id`, `type` and `data.object` (other fields pass)."""

    id: Annotated[str, msgspec.Meta(max_length=255)]
    type: Annotated[str, msgspec.Meta(max_length=255)]
    data: _EventData


def _require_event_shape(payload: bytes) -> None:
    """A correctly signed body that is not an event object (JSON `null`, a list, no `id`) is the
    sender's error: 400, where the SDK would fail on it deep inside and answer 500."""
    try:
        msgspec.json.decode(payload, type=_EventShape)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadRequest(f"the body is not a Stripe event: {exc}") from None


class WebhooksDisabled(ProblemError):
    kind = "webhooks-disabled"


class InvalidSignature(BadRequest):
    kind = "invalid-webhook-signature"


@dataclass
class StripeEventOperation(ContractOperation):
    """The body in OpenAPI: read raw (the signature covers the exact bytes), so Litestar cannot infer it."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = RequestBody(
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        description="A Stripe event (https://docs.stripe.com/api/events/object); the fields "
                        "FluxForge reads are listed, Stripe sends more.",
                        required=["id", "type", "data"],
                        properties={
                            "id": Schema(
                                type=OpenAPIType.STRING, description="The event id (evt_...).", max_length=255
                            ),
                            "type": Schema(
                                type=OpenAPIType.STRING,
                                description=f"Applied: {', '.join(service.STRIPE_EVENT_ACTIONS)}; "
                                "other types are acknowledged and ignored.",
                                max_length=255,
                            ),
                            "data": Schema(
                                type=OpenAPIType.OBJECT,
                                required=["object"],
                                properties={
                                    "object": Schema(
                                        type=OpenAPIType.OBJECT,
                                        description="The Stripe invoice the event is about.",
                                        properties={
                                            "id": Schema(type=OpenAPIType.STRING, description="Stripe's id (in_...)."),
                                            "metadata": Schema(
                                                type=OpenAPIType.OBJECT,
                                                properties={
                                                    "fluxforge_invoice_id": Schema(
                                                        type=OpenAPIType.STRING,
                                                        format=OpenAPIFormat.UUID,
                                                        description="Set by the export; finds the invoice when "
                                                        "the Stripe id was never stored.",
                                                    )
                                                },
                                            ),
                                        },
                                    )
                                },
                            ),
                        },
                    )
                )
            },
            required=True,
        )


class StripeWebhookController(Controller):
    path = "/v1/webhooks/stripe"
    tags = ["Webhooks"]

    @post(
        operation_id="ReceiveStripeWebhook",
        summary="Stripe events (signed): invoice.paid / payment_succeeded / payment_failed",
        description="Authenticated by the Stripe-Signature header, not a bearer token. Each event id is "
        "applied once; redeliveries answer 200 with `duplicate: true`.",
        status_code=200,
        security=[],
        responses=problem_responses(400, 413, 503),
        operation_class=StripeEventOperation,
    )
    async def receive(self, request: Request[Any, Any, Any], services: Services) -> WebhookAck:
        secret = services.settings.stripe_webhook_secret
        if secret is None:
            raise WebhooksDisabled("set FLUXFORGE_STRIPE_WEBHOOK_SECRET to accept Stripe webhooks")
        payload = await request.body()
        signature = request.headers.get("stripe-signature")
        if not signature:
            raise InvalidSignature("the Stripe-Signature header is missing")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature(str(exc.user_message or exc)) from None
        except UnicodeDecodeError:
            raise BadRequest("the body is not UTF-8 JSON") from None
        _require_event_shape(payload)
        try:
            event = stripe.Webhook.construct_event(payload, signature, secret)
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature(str(exc.user_message or exc)) from None
        except ValueError:
            raise BadRequest("the body is not a Stripe event") from None
        context = AuditContext(
            actor=WEBHOOK_ACTOR,
            request_id=request_id_var.get(),
            client_ip=request.client.host if request.client else None,
        )
        return await service.receive_stripe_event(services.db, context, event)
