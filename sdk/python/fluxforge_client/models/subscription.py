from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.subscription_status import SubscriptionStatus

if TYPE_CHECKING:
    from ..models.plan_version import PlanVersion
    from ..models.subscription_change import SubscriptionChange


T = TypeVar("T", bound="Subscription")


@_attrs_define
class Subscription:
    """
    Attributes:
        created_at (datetime.datetime):
        currency (str):
        plan (None | PlanVersion):
        scheduled_changes (list[SubscriptionChange]):
        status (SubscriptionStatus):
        tenant_id (UUID):
        updated_at (datetime.datetime):
        version (int):
    """

    created_at: datetime.datetime
    currency: str
    plan: None | PlanVersion
    scheduled_changes: list[SubscriptionChange]
    status: SubscriptionStatus
    tenant_id: UUID
    updated_at: datetime.datetime
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.plan_version import PlanVersion  # noqa: PLC0415

        created_at = self.created_at.isoformat()

        currency = self.currency

        plan: dict[str, Any] | None
        if isinstance(self.plan, PlanVersion):
            plan = self.plan.to_dict()
        else:
            plan = self.plan

        scheduled_changes = []
        for scheduled_changes_item_data in self.scheduled_changes:
            scheduled_changes_item = scheduled_changes_item_data.to_dict()
            scheduled_changes.append(scheduled_changes_item)

        status = self.status.value

        tenant_id = str(self.tenant_id)

        updated_at = self.updated_at.isoformat()

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "currency": currency,
                "plan": plan,
                "scheduled_changes": scheduled_changes,
                "status": status,
                "tenant_id": tenant_id,
                "updated_at": updated_at,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.plan_version import PlanVersion  # noqa: PLC0415
        from ..models.subscription_change import SubscriptionChange  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        currency = d.pop("currency")

        def _parse_plan(data: object) -> None | PlanVersion:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                plan_type_0 = PlanVersion.from_dict(data)

                return plan_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PlanVersion, data)

        plan = _parse_plan(d.pop("plan"))

        scheduled_changes = []
        _scheduled_changes = d.pop("scheduled_changes")
        for scheduled_changes_item_data in _scheduled_changes:
            scheduled_changes_item = SubscriptionChange.from_dict(scheduled_changes_item_data)

            scheduled_changes.append(scheduled_changes_item)

        status = SubscriptionStatus(d.pop("status"))

        tenant_id = UUID(d.pop("tenant_id"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        version = d.pop("version")

        subscription = cls(
            created_at=created_at,
            currency=currency,
            plan=plan,
            scheduled_changes=scheduled_changes,
            status=status,
            tenant_id=tenant_id,
            updated_at=updated_at,
            version=version,
        )

        subscription.additional_properties = d
        return subscription

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
