from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.receive_stripe_webhook_body_data import ReceiveStripeWebhookBodyData


T = TypeVar("T", bound="ReceiveStripeWebhookBody")


@_attrs_define
class ReceiveStripeWebhookBody:
    """A Stripe event (https://docs.stripe.com/api/events/object); the fields FluxForge reads are listed, Stripe sends
    more.

        Attributes:
            data (ReceiveStripeWebhookBodyData):
            id (str): The event id (evt_...).
            type_ (str): Applied: invoice.paid, invoice.payment_succeeded, invoice.payment_failed; other types are
                acknowledged and ignored.
    """

    data: ReceiveStripeWebhookBodyData
    id: str
    type_: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        id = self.id

        type_ = self.type_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "id": id,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.receive_stripe_webhook_body_data import ReceiveStripeWebhookBodyData  # noqa: PLC0415

        d = dict(src_dict)
        data = ReceiveStripeWebhookBodyData.from_dict(d.pop("data"))

        id = d.pop("id")

        type_ = d.pop("type")

        receive_stripe_webhook_body = cls(
            data=data,
            id=id,
            type_=type_,
        )

        receive_stripe_webhook_body.additional_properties = d
        return receive_stripe_webhook_body

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
