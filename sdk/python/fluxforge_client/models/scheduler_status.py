from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.scheduler_status_mode import SchedulerStatusMode

T = TypeVar("T", bound="SchedulerStatus")


@_attrs_define
class SchedulerStatus:
    """
    Attributes:
        active_runs (int):
        mode (SchedulerStatusMode):
        pending_runs (int):
        reason (str):
        updated_at (datetime.datetime):
        updated_by (None | str):
        version (int):
        workers (list[str]):
    """

    active_runs: int
    mode: SchedulerStatusMode
    pending_runs: int
    reason: str
    updated_at: datetime.datetime
    updated_by: None | str
    version: int
    workers: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        active_runs = self.active_runs

        mode = self.mode.value

        pending_runs = self.pending_runs

        reason = self.reason

        updated_at = self.updated_at.isoformat()

        updated_by: None | str
        updated_by = self.updated_by

        version = self.version

        workers = self.workers

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "active_runs": active_runs,
                "mode": mode,
                "pending_runs": pending_runs,
                "reason": reason,
                "updated_at": updated_at,
                "updated_by": updated_by,
                "version": version,
                "workers": workers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        active_runs = d.pop("active_runs")

        mode = SchedulerStatusMode(d.pop("mode"))

        pending_runs = d.pop("pending_runs")

        reason = d.pop("reason")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_updated_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        updated_by = _parse_updated_by(d.pop("updated_by"))

        version = d.pop("version")

        workers = cast(list[str], d.pop("workers"))

        scheduler_status = cls(
            active_runs=active_runs,
            mode=mode,
            pending_runs=pending_runs,
            reason=reason,
            updated_at=updated_at,
            updated_by=updated_by,
            version=version,
            workers=workers,
        )

        scheduler_status.additional_properties = d
        return scheduler_status

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
