from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Identity")


@_attrs_define
class Identity:
    """
    Attributes:
        created_at (datetime.datetime):
        email (None | str):
        issuer (str):
        last_login_at (datetime.datetime):
        provider (str):
        subject (str):
    """

    created_at: datetime.datetime
    email: None | str
    issuer: str
    last_login_at: datetime.datetime
    provider: str
    subject: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        email: None | str
        email = self.email

        issuer = self.issuer

        last_login_at = self.last_login_at.isoformat()

        provider = self.provider

        subject = self.subject

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "email": email,
                "issuer": issuer,
                "last_login_at": last_login_at,
                "provider": provider,
                "subject": subject,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_email(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        email = _parse_email(d.pop("email"))

        issuer = d.pop("issuer")

        last_login_at = datetime.datetime.fromisoformat(d.pop("last_login_at"))

        provider = d.pop("provider")

        subject = d.pop("subject")

        identity = cls(
            created_at=created_at,
            email=email,
            issuer=issuer,
            last_login_at=last_login_at,
            provider=provider,
            subject=subject,
        )

        identity.additional_properties = d
        return identity

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
