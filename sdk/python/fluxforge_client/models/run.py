from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.run_state import RunState
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.run_inputs import RunInputs
    from ..models.run_step import RunStep


T = TypeVar("T", bound="Run")


@_attrs_define
class Run:
    """
    Attributes:
        created_at (datetime.datetime):
        id (UUID):
        inputs (RunInputs):
        namespace (str):
        priority (int):
        state (RunState):
        version (int):
        workflow (str):
        workflow_id (UUID):
        workflow_version (int):
        created_by (None | str | Unset):
        error (None | str | Unset):
        finished_at (datetime.datetime | None | Unset):
        result_digest (None | str | Unset):
        started_at (datetime.datetime | None | Unset):
        steps (list[RunStep] | Unset):
    """

    created_at: datetime.datetime
    id: UUID
    inputs: RunInputs
    namespace: str
    priority: int
    state: RunState
    version: int
    workflow: str
    workflow_id: UUID
    workflow_version: int
    created_by: None | str | Unset = UNSET
    error: None | str | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    result_digest: None | str | Unset = UNSET
    started_at: datetime.datetime | None | Unset = UNSET
    steps: list[RunStep] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        id = str(self.id)

        inputs = self.inputs.to_dict()

        namespace = self.namespace

        priority = self.priority

        state = self.state.value

        version = self.version

        workflow = self.workflow

        workflow_id = str(self.workflow_id)

        workflow_version = self.workflow_version

        created_by: None | str | Unset
        if isinstance(self.created_by, Unset):
            created_by = UNSET
        else:
            created_by = self.created_by

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        result_digest: None | str | Unset
        if isinstance(self.result_digest, Unset):
            result_digest = UNSET
        else:
            result_digest = self.result_digest

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        elif isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        steps: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.steps, Unset):
            steps = []
            for steps_item_data in self.steps:
                steps_item = steps_item_data.to_dict()
                steps.append(steps_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "inputs": inputs,
                "namespace": namespace,
                "priority": priority,
                "state": state,
                "version": version,
                "workflow": workflow,
                "workflow_id": workflow_id,
                "workflow_version": workflow_version,
            }
        )
        if created_by is not UNSET:
            field_dict["created_by"] = created_by
        if error is not UNSET:
            field_dict["error"] = error
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if result_digest is not UNSET:
            field_dict["result_digest"] = result_digest
        if started_at is not UNSET:
            field_dict["started_at"] = started_at
        if steps is not UNSET:
            field_dict["steps"] = steps

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_inputs import RunInputs  # noqa: PLC0415
        from ..models.run_step import RunStep  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        inputs = RunInputs.from_dict(d.pop("inputs"))

        namespace = d.pop("namespace")

        priority = d.pop("priority")

        state = RunState(d.pop("state"))

        version = d.pop("version")

        workflow = d.pop("workflow")

        workflow_id = UUID(d.pop("workflow_id"))

        workflow_version = d.pop("workflow_version")

        def _parse_created_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        created_by = _parse_created_by(d.pop("created_by", UNSET))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_finished_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))

        def _parse_result_digest(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        result_digest = _parse_result_digest(d.pop("result_digest", UNSET))

        def _parse_started_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        started_at = _parse_started_at(d.pop("started_at", UNSET))

        _steps = d.pop("steps", UNSET)
        steps: list[RunStep] | Unset = UNSET
        if _steps is not UNSET:
            steps = []
            for steps_item_data in _steps:
                steps_item = RunStep.from_dict(steps_item_data)

                steps.append(steps_item)

        run = cls(
            created_at=created_at,
            id=id,
            inputs=inputs,
            namespace=namespace,
            priority=priority,
            state=state,
            version=version,
            workflow=workflow,
            workflow_id=workflow_id,
            workflow_version=workflow_version,
            created_by=created_by,
            error=error,
            finished_at=finished_at,
            result_digest=result_digest,
            started_at=started_at,
            steps=steps,
        )

        run.additional_properties = d
        return run

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
