from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.usage_event_properties import UsageEventProperties


T = TypeVar("T", bound="UsageEvent")


@_attrs_define
class UsageEvent:
    """
    Attributes:
        id (str): Chosen by the client, unique per tenant forever: a repeat is a duplicate, counted once whatever its
            other fields. Printable ASCII without spaces.
        subject (str): Who or what used it (your customer, user, project...). No control characters.
        timestamp (datetime.datetime): When the usage happened (RFC 3339 with offset). It must lie in the open usage
            period and at most the configured tolerance in the future.
        type_ (str): Letters, digits, `.`, `_`, `:` and `-`.
        properties (UsageEventProperties | Unset): Free-form JSON object: values meters read and dimensions usage is
            split by.
    """

    id: str
    subject: str
    timestamp: datetime.datetime
    type_: str
    properties: UsageEventProperties | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        subject = self.subject

        timestamp = self.timestamp.isoformat()

        type_ = self.type_

        properties: dict[str, Any] | Unset = UNSET
        if not isinstance(self.properties, Unset):
            properties = self.properties.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "subject": subject,
                "timestamp": timestamp,
                "type": type_,
            }
        )
        if properties is not UNSET:
            field_dict["properties"] = properties

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.usage_event_properties import UsageEventProperties  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        subject = d.pop("subject")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        type_ = d.pop("type")

        _properties = d.pop("properties", UNSET)
        properties: UsageEventProperties | Unset
        if isinstance(_properties, Unset):
            properties = UNSET
        else:
            properties = UsageEventProperties.from_dict(_properties)

        usage_event = cls(
            id=id,
            subject=subject,
            timestamp=timestamp,
            type_=type_,
            properties=properties,
        )

        usage_event.additional_properties = d
        return usage_event

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
