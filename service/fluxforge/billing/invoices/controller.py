"""Invoices over HTTP.

Tenants read their invoices (`billing:read`): `/v1/tenants/{tenant}/invoices`, each as JSON, CSV
or PDF by the Accept header. Everything that creates or changes an invoice is the platform
operator's (`/v1/admin/...`, bootstrap admin token): closing a period, finalizing, voiding,
marking paid, crediting and exporting to Stripe. The issuer decides what it bills and what it
was paid; a tenant's `billing:write` role (its own staff) must not be able to void or settle the
invoices it owes, so these are not tenant routes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    Schema,
)
from litestar.params import JSONBody, PathParameter, QueryParameter

from fluxforge.billing.invoices import render, service
from fluxforge.billing.invoices.models import (
    CreditNote,
    CreditNoteCreate,
    Invoice,
    InvoicePage,
    InvoiceStatus,
    PeriodClose,
    PeriodCloseResult,
)
from fluxforge.billing.invoices.service import FileFormat, InvoiceDocument
from fluxforge.conventions import DEFAULT_LIMIT, decode_cursor, etag, optional_version, page_of
from fluxforge.errors import ProblemError
from fluxforge.web.access import access_of, audit_context, require, require_admin
from fluxforge.web.contract import ADMIN_SECURITY, TENANT_SECURITY, ContractOperation
from fluxforge.web.idempotency import answer, once
from fluxforge.web.params import Cursor, IdempotencyKeyHeader, IfMatchOptional, Limit, TenantPath
from fluxforge.web.problems import problem_responses
from fluxforge.web.services import Services

InvoiceId = Annotated[uuid.UUID, PathParameter(description="The invoice's id.")]
StatusFilter = Annotated[InvoiceStatus | None, QueryParameter(description="Only invoices in this status.")]
PeriodStartFilter = Annotated[
    datetime | None, QueryParameter(description="Only invoices of the period starting at this instant.")
]
ETAG_HEADER = [
    ResponseHeader(name="ETag", description="The invoice's version; send it back in If-Match.", documentation_only=True)
]
JSON_MEDIA_TYPE = "application/json"
OFFERED = [JSON_MEDIA_TYPE, render.CSV_MEDIA_TYPE, render.PDF_MEDIA_TYPE]
FILE_FORMATS: dict[str, FileFormat] = {media_type: form for form, media_type in service.MEDIA_TYPES.items()}


class NotAcceptable(ProblemError):
    kind = "not-acceptable"


def preferred(request: Request[Any, Any, Any]) -> str | None:
    """The representation the Accept header prefers among OFFERED; None when it accepts none."""
    return request.accept.best_match(OFFERED, default=None)


def wanted_file(media_type: str | None) -> FileFormat | None:
    """The file to render for the preferred media type: none for JSON, nor when none is acceptable
    (`negotiated` refuses that once the invoice was found, so a missing invoice stays a 404)."""
    return FILE_FORMATS.get(media_type) if media_type is not None else None


def invoice_response(invoice: Invoice, status_code: int = 200) -> Response[Invoice]:
    return Response(invoice, status_code=status_code, headers={"ETag": etag(invoice.version)})


def credit_note_response(note: CreditNote) -> Response[CreditNote]:
    return Response(note, status_code=201)


def negotiated(document: InvoiceDocument, media_type: str | None) -> Response[Any]:
    """The invoice as JSON (default), CSV or PDF, whichever the Accept header prefers."""
    headers = {"ETag": etag(document.invoice.version), "Vary": "Accept"}
    if media_type is None:
        raise NotAcceptable(f"this invoice is available as {', '.join(OFFERED)}")
    if document.file is None:
        return Response(document.invoice, headers=headers, media_type=JSON_MEDIA_TYPE)
    headers["Content-Disposition"] = f'attachment; filename="{document.file.filename}"'
    return Response(document.file.content, headers=headers, media_type=document.file.media_type)


@dataclass
class InvoiceDocumentOperation(ContractOperation):
    """The 200 of a negotiated invoice read: JSON, CSV or PDF (Litestar sees only `Response[Any]`)."""

    def __post_init__(self) -> None:
        self.responses = self.responses or {}
        self.responses["200"] = OpenAPIResponse(
            description="The invoice: JSON by default; `Accept: text/csv` for its lines as CSV, "
            "`Accept: application/pdf` for the printable invoice.",
            headers={
                "ETag": OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.STRING),
                    description="The invoice's version; send it back in If-Match.",
                ),
                "Content-Disposition": OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.STRING),
                    description='CSV and PDF only: attachment; filename="invoice-<number>.<csv|pdf>"',
                ),
            },
            content={
                JSON_MEDIA_TYPE: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Invoice")),
                render.CSV_MEDIA_TYPE: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
                render.PDF_MEDIA_TYPE: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format="binary")),  # type: ignore[arg-type]
            },
        )
        super().__post_init__()


@dataclass
class InvoicePdfOperation(ContractOperation):
    """The 200 of the PDF download: the document itself, a binary string, so that generated
    clients hand back bytes instead of trying to parse JSON."""

    def __post_init__(self) -> None:
        self.responses = self.responses or {}
        self.responses["200"] = OpenAPIResponse(
            description="The printable invoice as a PDF document.",
            headers={
                "ETag": OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.STRING),
                    description="The invoice's version.",
                ),
                "Content-Disposition": OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.STRING),
                    description='attachment; filename="invoice-<number>.pdf"',
                ),
            },
            content={
                render.PDF_MEDIA_TYPE: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format="binary")),  # type: ignore[arg-type]
            },
        )
        super().__post_init__()


class InvoiceController(Controller):
    path = "/v1/tenants/{tenant:str}/invoices"
    tags = ["Invoices"]
    security = TENANT_SECURITY

    @get(
        operation_id="ListInvoices",
        summary="The tenant's invoices, newest first",
        guards=[require("billing:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_invoices(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        status: StatusFilter = None,
    ) -> InvoicePage:
        tenant_id = access_of(request).tenant_id
        after = decode_cursor(cursor)
        rows = await service.list_invoices(services.db, tenant_id, after=after, limit=limit, status=status)
        items, next_cursor = page_of(rows, limit)
        return InvoicePage(items=items, next_cursor=next_cursor)

    @get(
        "/{invoice_id:uuid}",
        operation_id="GetInvoice",
        summary="An invoice as JSON, CSV (Accept: text/csv) or PDF (Accept: application/pdf)",
        guards=[require("billing:read")],
        responses=problem_responses(400, 401, 403, 404, 406, 429),
        operation_class=InvoiceDocumentOperation,
    )
    async def get_invoice(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, invoice_id: InvoiceId
    ) -> Response[Any]:
        media_type = preferred(request)
        document = await service.get_invoice(
            services.db,
            services.redis,
            services.settings,
            access_of(request).tenant,
            invoice_id,
            wanted_file(media_type),
        )
        return negotiated(document, media_type)

    @get(
        "/{invoice_id:uuid}/pdf",
        operation_id="DownloadInvoicePdf",
        summary="An invoice's printable PDF",
        description="The same document as `GetInvoice` with `Accept: application/pdf`, at an address of its "
        "own: a link can be followed by any client, and generated SDKs return the bytes of a binary "
        "answer but cannot choose a representation by the Accept header.",
        guards=[require("billing:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
        operation_class=InvoicePdfOperation,
    )
    async def download_invoice_pdf(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, invoice_id: InvoiceId
    ) -> Response[bytes]:
        document = await service.get_invoice(
            services.db, services.redis, services.settings, access_of(request).tenant, invoice_id, "pdf"
        )
        assert document.file is not None
        headers = {
            "ETag": etag(document.invoice.version),
            "Content-Disposition": f'attachment; filename="{document.file.filename}"',
        }
        return Response(document.file.content, headers=headers, media_type=document.file.media_type)


class InvoiceAdminController(Controller):
    path = "/v1/admin"
    tags = ["AdminBilling"]
    guards = [require_admin]
    security = ADMIN_SECURITY

    @post(
        "/billing/periods/close",
        operation_id="CloseBillingPeriod",
        summary="Close a billing period: one draft invoice per subscribed tenant (idempotent)",
        description="Closes usage ingest into [start, end) first. Closing the same period again "
        "returns the invoices made the first time and makes none (so no Idempotency-Key is needed); "
        "a period overlapping a closed one without being it is refused (409).",
        status_code=200,
        responses=problem_responses(400, 401, 409, 413, kinds=("invalid-invoice-transition",)),
    )
    async def close_period(
        self, request: Request[Any, Any, Any], services: Services, data: JSONBody[PeriodClose]
    ) -> PeriodCloseResult:
        return await service.close_period(services.db, start=data.start, end=data.end, context=audit_context(request))

    @get(
        "/invoices",
        operation_id="ListAllInvoices",
        summary="Every tenant's invoices, newest first",
        responses=problem_responses(400, 401),
    )
    async def list_all(
        self,
        services: Services,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        status: StatusFilter = None,
        period_start: PeriodStartFilter = None,
    ) -> InvoicePage:
        after = decode_cursor(cursor)
        rows = await service.list_all_invoices(
            services.db, after=after, limit=limit, status=status, period_start=period_start
        )
        items, next_cursor = page_of(rows, limit)
        return InvoicePage(items=items, next_cursor=next_cursor)

    @get(
        "/invoices/{invoice_id:uuid}",
        operation_id="GetAnyInvoice",
        summary="Any tenant's invoice, as JSON, CSV or PDF by the Accept header",
        responses=problem_responses(400, 401, 404, 406),
        operation_class=InvoiceDocumentOperation,
    )
    async def get_any(
        self, request: Request[Any, Any, Any], services: Services, invoice_id: InvoiceId
    ) -> Response[Any]:
        media_type = preferred(request)
        document = await service.get_any_invoice(
            services.db, services.redis, services.settings, invoice_id, wanted_file(media_type)
        )
        return negotiated(document, media_type)

    @post(
        "/invoices/{invoice_id:uuid}/finalize",
        operation_id="FinalizeInvoice",
        summary="Issue a draft: number it (gapless per issuer) and freeze it",
        description="Finalizing a finalized invoice returns it unchanged; other states answer 409.",
        status_code=200,
        responses=problem_responses(400, 401, 404, 409, 412, kinds=("invalid-invoice-transition",)),
        response_headers=ETAG_HEADER,
    )
    async def finalize(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        invoice_id: InvoiceId,
        if_match: IfMatchOptional = None,
    ) -> Response[Invoice]:
        expected = optional_version(if_match)
        invoice = await service.finalize_invoice(
            services.db, services.settings, audit_context(request), invoice_id, expected
        )
        return invoice_response(invoice)

    @post(
        "/invoices/{invoice_id:uuid}/mark-paid",
        operation_id="MarkInvoicePaid",
        summary="Record that an issued invoice was paid",
        description="Marking a paid invoice paid again changes nothing; drafts and void invoices answer 409.",
        status_code=200,
        responses=problem_responses(400, 401, 404, 409, 412, kinds=("invalid-invoice-transition",)),
        response_headers=ETAG_HEADER,
    )
    async def mark_paid(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        invoice_id: InvoiceId,
        if_match: IfMatchOptional = None,
    ) -> Response[Invoice]:
        expected = optional_version(if_match)
        invoice = await service.transition_invoice(
            services.db, audit_context(request), invoice_id, "mark_paid", expected
        )
        return invoice_response(invoice)

    @post(
        "/invoices/{invoice_id:uuid}/void",
        operation_id="VoidInvoice",
        summary="Void an issued, unpaid invoice (its number stays used)",
        description="Drafts cannot be voided (nothing was issued) and paid invoices are corrected with a "
        "credit note instead: both answer 409.",
        status_code=200,
        responses=problem_responses(400, 401, 404, 409, 412, kinds=("invalid-invoice-transition",)),
        response_headers=ETAG_HEADER,
    )
    async def void(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        invoice_id: InvoiceId,
        if_match: IfMatchOptional = None,
    ) -> Response[Invoice]:
        expected = optional_version(if_match)
        invoice = await service.transition_invoice(services.db, audit_context(request), invoice_id, "void", expected)
        return invoice_response(invoice)

    @post(
        "/invoices/{invoice_id:uuid}/credit-notes",
        operation_id="CreateCreditNote",
        summary="Credit an issued invoice, in part or (without amount) in full",
        description="Credit notes are numbered CN-000001, ... in their own gapless series per issuer. "
        "More than the invoice has left to credit answers 409.",
        status_code=201,
        responses=problem_responses(400, 401, 404, 409, 413, kinds=("invalid-invoice-transition",)),
    )
    async def credit(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        invoice_id: InvoiceId,
        data: JSONBody[CreditNoteCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[CreditNote]:
        key = once(request, idempotency_key, f"createCreditNote:{invoice_id}", data, credit_note_response)
        created = await service.credit_invoice(services.db, audit_context(request), invoice_id, data, key)
        return answer(created, CreditNote, credit_note_response)

    @post(
        "/invoices/{invoice_id:uuid}/stripe-export",
        operation_id="ExportInvoiceToStripe",
        summary="Export an issued invoice to Stripe (customer, items, finalized invoice); safe to repeat",
        description="Every Stripe call carries an idempotency key derived from our ids and every Stripe id "
        "is stored as soon as it is known, so repeating an export that failed midway finishes it and "
        "creates nothing twice. 503 when Stripe is not configured, 502 when Stripe fails.",
        status_code=200,
        responses=problem_responses(
            400, 401, 404, 409, 502, 503, kinds=("invalid-invoice-transition", "stripe-export-failed")
        ),
        response_headers=ETAG_HEADER,
    )
    async def stripe_export(
        self, request: Request[Any, Any, Any], services: Services, invoice_id: InvoiceId
    ) -> Response[Invoice]:
        invoice = await service.export_to_stripe(services.db, services.settings, audit_context(request), invoice_id)
        return invoice_response(invoice)
