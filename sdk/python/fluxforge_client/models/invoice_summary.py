from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.invoice_summary_status import InvoiceSummaryStatus

T = TypeVar("T", bound="InvoiceSummary")


@_attrs_define
class InvoiceSummary:
    """
    Attributes:
        created_at (datetime.datetime):
        credited (int):
        currency (str):
        customer_name (str):
        customer_slug (str):
        due_at (datetime.datetime | None):
        id (UUID):
        issued_at (datetime.datetime | None):
        number (None | str):
        period_end (datetime.datetime):
        period_start (datetime.datetime):
        status (InvoiceSummaryStatus):
        subtotal (int):
        tenant_id (UUID):
        total (int):
        updated_at (datetime.datetime):
        version (int):
    """

    created_at: datetime.datetime
    credited: int
    currency: str
    customer_name: str
    customer_slug: str
    due_at: datetime.datetime | None
    id: UUID
    issued_at: datetime.datetime | None
    number: None | str
    period_end: datetime.datetime
    period_start: datetime.datetime
    status: InvoiceSummaryStatus
    subtotal: int
    tenant_id: UUID
    total: int
    updated_at: datetime.datetime
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        credited = self.credited

        currency = self.currency

        customer_name = self.customer_name

        customer_slug = self.customer_slug

        due_at: None | str
        if isinstance(self.due_at, datetime.datetime):
            due_at = self.due_at.isoformat()
        else:
            due_at = self.due_at

        id = str(self.id)

        issued_at: None | str
        if isinstance(self.issued_at, datetime.datetime):
            issued_at = self.issued_at.isoformat()
        else:
            issued_at = self.issued_at

        number: None | str
        number = self.number

        period_end = self.period_end.isoformat()

        period_start = self.period_start.isoformat()

        status = self.status.value

        subtotal = self.subtotal

        tenant_id = str(self.tenant_id)

        total = self.total

        updated_at = self.updated_at.isoformat()

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "credited": credited,
                "currency": currency,
                "customer_name": customer_name,
                "customer_slug": customer_slug,
                "due_at": due_at,
                "id": id,
                "issued_at": issued_at,
                "number": number,
                "period_end": period_end,
                "period_start": period_start,
                "status": status,
                "subtotal": subtotal,
                "tenant_id": tenant_id,
                "total": total,
                "updated_at": updated_at,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

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

        def _parse_number(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        number = _parse_number(d.pop("number"))

        period_end = datetime.datetime.fromisoformat(d.pop("period_end"))

        period_start = datetime.datetime.fromisoformat(d.pop("period_start"))

        status = InvoiceSummaryStatus(d.pop("status"))

        subtotal = d.pop("subtotal")

        tenant_id = UUID(d.pop("tenant_id"))

        total = d.pop("total")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        version = d.pop("version")

        invoice_summary = cls(
            created_at=created_at,
            credited=credited,
            currency=currency,
            customer_name=customer_name,
            customer_slug=customer_slug,
            due_at=due_at,
            id=id,
            issued_at=issued_at,
            number=number,
            period_end=period_end,
            period_start=period_start,
            status=status,
            subtotal=subtotal,
            tenant_id=tenant_id,
            total=total,
            updated_at=updated_at,
            version=version,
        )

        invoice_summary.additional_properties = d
        return invoice_summary

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
