from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.workflow_status import WorkflowStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.workflow_labels import WorkflowLabels
    from ..models.workflow_spec import WorkflowSpec


T = TypeVar("T", bound="Workflow")


@_attrs_define
class Workflow:
    """
    Attributes:
        created_at (datetime.datetime):
        digest (str):
        id (UUID):
        labels (WorkflowLabels):
        latest_version (int):
        name (str):
        namespace (str):
        spec (WorkflowSpec):
        status (WorkflowStatus):
        updated_at (datetime.datetime):
        version (int):
        version_created_at (datetime.datetime):
        version_created_by (None | str):
        deleted_at (datetime.datetime | None | Unset):
    """

    created_at: datetime.datetime
    digest: str
    id: UUID
    labels: WorkflowLabels
    latest_version: int
    name: str
    namespace: str
    spec: WorkflowSpec
    status: WorkflowStatus
    updated_at: datetime.datetime
    version: int
    version_created_at: datetime.datetime
    version_created_by: None | str
    deleted_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        digest = self.digest

        id = str(self.id)

        labels = self.labels.to_dict()

        latest_version = self.latest_version

        name = self.name

        namespace = self.namespace

        spec = self.spec.to_dict()

        status = self.status.value

        updated_at = self.updated_at.isoformat()

        version = self.version

        version_created_at = self.version_created_at.isoformat()

        version_created_by: None | str
        version_created_by = self.version_created_by

        deleted_at: None | str | Unset
        if isinstance(self.deleted_at, Unset):
            deleted_at = UNSET
        elif isinstance(self.deleted_at, datetime.datetime):
            deleted_at = self.deleted_at.isoformat()
        else:
            deleted_at = self.deleted_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "digest": digest,
                "id": id,
                "labels": labels,
                "latest_version": latest_version,
                "name": name,
                "namespace": namespace,
                "spec": spec,
                "status": status,
                "updated_at": updated_at,
                "version": version,
                "version_created_at": version_created_at,
                "version_created_by": version_created_by,
            }
        )
        if deleted_at is not UNSET:
            field_dict["deleted_at"] = deleted_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.workflow_labels import WorkflowLabels  # noqa: PLC0415
        from ..models.workflow_spec import WorkflowSpec  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        digest = d.pop("digest")

        id = UUID(d.pop("id"))

        labels = WorkflowLabels.from_dict(d.pop("labels"))

        latest_version = d.pop("latest_version")

        name = d.pop("name")

        namespace = d.pop("namespace")

        spec = WorkflowSpec.from_dict(d.pop("spec"))

        status = WorkflowStatus(d.pop("status"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        version = d.pop("version")

        version_created_at = datetime.datetime.fromisoformat(d.pop("version_created_at"))

        def _parse_version_created_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        version_created_by = _parse_version_created_by(d.pop("version_created_by"))

        def _parse_deleted_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                deleted_at_type_0 = datetime.datetime.fromisoformat(data)

                return deleted_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        deleted_at = _parse_deleted_at(d.pop("deleted_at", UNSET))

        workflow = cls(
            created_at=created_at,
            digest=digest,
            id=id,
            labels=labels,
            latest_version=latest_version,
            name=name,
            namespace=namespace,
            spec=spec,
            status=status,
            updated_at=updated_at,
            version=version,
            version_created_at=version_created_at,
            version_created_by=version_created_by,
            deleted_at=deleted_at,
        )

        workflow.additional_properties = d
        return workflow

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
