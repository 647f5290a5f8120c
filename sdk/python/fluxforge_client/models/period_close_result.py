from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.invoice_summary import InvoiceSummary


T = TypeVar("T", bound="PeriodCloseResult")


@_attrs_define
class PeriodCloseResult:
    """
    Attributes:
        created (int):
        end (datetime.datetime):
        invoices (list[InvoiceSummary]):
        start (datetime.datetime):
    """

    created: int
    end: datetime.datetime
    invoices: list[InvoiceSummary]
    start: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created = self.created

        end = self.end.isoformat()

        invoices = []
        for invoices_item_data in self.invoices:
            invoices_item = invoices_item_data.to_dict()
            invoices.append(invoices_item)

        start = self.start.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created": created,
                "end": end,
                "invoices": invoices,
                "start": start,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.invoice_summary import InvoiceSummary  # noqa: PLC0415

        d = dict(src_dict)
        created = d.pop("created")

        end = datetime.datetime.fromisoformat(d.pop("end"))

        invoices = []
        _invoices = d.pop("invoices")
        for invoices_item_data in _invoices:
            invoices_item = InvoiceSummary.from_dict(invoices_item_data)

            invoices.append(invoices_item)

        start = datetime.datetime.fromisoformat(d.pop("start"))

        period_close_result = cls(
            created=created,
            end=end,
            invoices=invoices,
            start=start,
        )

        period_close_result.additional_properties = d
        return period_close_result

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
