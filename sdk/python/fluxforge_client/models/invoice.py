from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.invoice_status import InvoiceStatus

if TYPE_CHECKING:
    from ..models.credit_note import CreditNote
    from ..models.invoice_line import InvoiceLine
    from ..models.stripe_ref import StripeRef


T = TypeVar("T", bound="Invoice")


@_attrs_define
class Invoice:
    """
    Attributes:
        created_at (datetime.datetime):
        credit_notes (list[CreditNote]):
        credited (int):
        currency (str):
        customer_name (str):
        customer_slug (str):
        due_at (datetime.datetime | None):
        finalized_at (datetime.datetime | None):
        id (UUID):
        issued_at (datetime.datetime | None):
        issuer_address (None | str):
        issuer_name (None | str):
        lines (list[InvoiceLine]):
        number (None | str):
        paid_at (datetime.datetime | None):
        payment_failed_at (datetime.datetime | None):
        period_end (datetime.datetime):
        period_start (datetime.datetime):
        status (InvoiceStatus):
        stripe (None | StripeRef):
        subtotal (int):
        tenant_id (UUID):
        total (int):
        updated_at (datetime.datetime):
        version (int):
        voided_at (datetime.datetime | None):
    """

    created_at: datetime.datetime
    credit_notes: list[CreditNote]
    credited: int
    currency: str
    customer_name: str
    customer_slug: str
    due_at: datetime.datetime | None
    finalized_at: datetime.datetime | None
    id: UUID
    issued_at: datetime.datetime | None
    issuer_address: None | str
    issuer_name: None | str
    lines: list[InvoiceLine]
    number: None | str
    paid_at: datetime.datetime | None
    payment_failed_at: datetime.datetime | None
    period_end: datetime.datetime
    period_start: datetime.datetime
    status: InvoiceStatus
    stripe: None | StripeRef
    subtotal: int
    tenant_id: UUID
    total: int
    updated_at: datetime.datetime
    version: int
    voided_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.stripe_ref import StripeRef  # noqa: PLC0415

        created_at = self.created_at.isoformat()

        credit_notes = []
        for credit_notes_item_data in self.credit_notes:
            credit_notes_item = credit_notes_item_data.to_dict()
            credit_notes.append(credit_notes_item)

        credited = self.credited

        currency = self.currency

        customer_name = self.customer_name

        customer_slug = self.customer_slug

        due_at: None | str
        if isinstance(self.due_at, datetime.datetime):
            due_at = self.due_at.isoformat()
        else:
            due_at = self.due_at

        finalized_at: None | str
        if isinstance(self.finalized_at, datetime.datetime):
            finalized_at = self.finalized_at.isoformat()
        else:
            finalized_at = self.finalized_at

        id = str(self.id)

        issued_at: None | str
        if isinstance(self.issued_at, datetime.datetime):
            issued_at = self.issued_at.isoformat()
        else:
            issued_at = self.issued_at

        issuer_address: None | str
        issuer_address = self.issuer_address

        issuer_name: None | str
        issuer_name = self.issuer_name

        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)

        number: None | str
        number = self.number

        paid_at: None | str
        if isinstance(self.paid_at, datetime.datetime):
            paid_at = self.paid_at.isoformat()
        else:
            paid_at = self.paid_at

        payment_failed_at: None | str
        if isinstance(self.payment_failed_at, datetime.datetime):
            payment_failed_at = self.payment_failed_at.isoformat()
        else:
            payment_failed_at = self.payment_failed_at

        period_end = self.period_end.isoformat()

        period_start = self.period_start.isoformat()

        status = self.status.value

        stripe: dict[str, Any] | None
        if isinstance(self.stripe, StripeRef):
            stripe = self.stripe.to_dict()
        else:
            stripe = self.stripe

        subtotal = self.subtotal

        tenant_id = str(self.tenant_id)

        total = self.total

        updated_at = self.updated_at.isoformat()

        version = self.version

        voided_at: None | str
        if isinstance(self.voided_at, datetime.datetime):
            voided_at = self.voided_at.isoformat()
        else:
            voided_at = self.voided_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "credit_notes": credit_notes,
                "credited": credited,
                "currency": currency,
                "customer_name": customer_name,
                "customer_slug": customer_slug,
                "due_at": due_at,
                "finalized_at": finalized_at,
                "id": id,
                "issued_at": issued_at,
                "issuer_address": issuer_address,
                "issuer_name": issuer_name,
                "lines": lines,
                "number": number,
                "paid_at": paid_at,
                "payment_failed_at": payment_failed_at,
                "period_end": period_end,
                "period_start": period_start,
                "status": status,
                "stripe": stripe,
                "subtotal": subtotal,
                "tenant_id": tenant_id,
                "total": total,
                "updated_at": updated_at,
                "version": version,
                "voided_at": voided_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.credit_note import CreditNote  # noqa: PLC0415
        from ..models.invoice_line import InvoiceLine  # noqa: PLC0415
        from ..models.stripe_ref import StripeRef  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        credit_notes = []
        _credit_notes = d.pop("credit_notes")
        for credit_notes_item_data in _credit_notes:
            credit_notes_item = CreditNote.from_dict(credit_notes_item_data)

            credit_notes.append(credit_notes_item)

        credited = d.pop("credited")

        currency = d.pop("currency")

        customer_name = d.pop("customer_name")

        customer_slug = d.pop("customer_slug")

        def _parse_due_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                due_at_type_0 = datetime.datetime.fromisoformat(data)

                return due_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        due_at = _parse_due_at(d.pop("due_at"))

        def _parse_finalized_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finalized_at_type_0 = datetime.datetime.fromisoformat(data)

                return finalized_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finalized_at = _parse_finalized_at(d.pop("finalized_at"))

        id = UUID(d.pop("id"))

        def _parse_issued_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                issued_at_type_0 = datetime.datetime.fromisoformat(data)

                return issued_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        issued_at = _parse_issued_at(d.pop("issued_at"))

        def _parse_issuer_address(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        issuer_address = _parse_issuer_address(d.pop("issuer_address"))

        def _parse_issuer_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        issuer_name = _parse_issuer_name(d.pop("issuer_name"))

        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = InvoiceLine.from_dict(lines_item_data)

            lines.append(lines_item)

        def _parse_number(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        number = _parse_number(d.pop("number"))

        def _parse_paid_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                paid_at_type_0 = datetime.datetime.fromisoformat(data)

                return paid_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        paid_at = _parse_paid_at(d.pop("paid_at"))

        def _parse_payment_failed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                payment_failed_at_type_0 = datetime.datetime.fromisoformat(data)

                return payment_failed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        payment_failed_at = _parse_payment_failed_at(d.pop("payment_failed_at"))

        period_end = datetime.datetime.fromisoformat(d.pop("period_end"))

        period_start = datetime.datetime.fromisoformat(d.pop("period_start"))

        status = InvoiceStatus(d.pop("status"))

        def _parse_stripe(data: object) -> None | StripeRef:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                stripe_type_0 = StripeRef.from_dict(data)

                return stripe_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StripeRef, data)

        stripe = _parse_stripe(d.pop("stripe"))

        subtotal = d.pop("subtotal")

        tenant_id = UUID(d.pop("tenant_id"))

        total = d.pop("total")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        version = d.pop("version")

        def _parse_voided_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                voided_at_type_0 = datetime.datetime.fromisoformat(data)

                return voided_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        voided_at = _parse_voided_at(d.pop("voided_at"))

        invoice = cls(
            created_at=created_at,
            credit_notes=credit_notes,
            credited=credited,
            currency=currency,
            customer_name=customer_name,
            customer_slug=customer_slug,
            due_at=due_at,
            finalized_at=finalized_at,
            id=id,
            issued_at=issued_at,
            issuer_address=issuer_address,
            issuer_name=issuer_name,
            lines=lines,
            number=number,
            paid_at=paid_at,
            payment_failed_at=payment_failed_at,
            period_end=period_end,
            period_start=period_start,
            status=status,
            stripe=stripe,
            subtotal=subtotal,
            tenant_id=tenant_id,
            total=total,
            updated_at=updated_at,
            version=version,
            voided_at=voided_at,
        )

        invoice.additional_properties = d
        return invoice

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
