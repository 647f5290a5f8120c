from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.run_step_state import RunStepState
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.run_step_input_type_0 import RunStepInputType0
    from ..models.run_step_outputs_type_0 import RunStepOutputsType0
    from ..models.step_error import StepError


T = TypeVar("T", bound="RunStep")


@_attrs_define
class RunStep:
    """
    Attributes:
        attempts (int):
        id (str):
        needs (list[str]):
        state (RunStepState):
        uses (str):
        error (None | StepError | Unset):
        finished_at (datetime.datetime | None | Unset):
        input_ (None | RunStepInputType0 | Unset):
        lost_attempts (int | Unset):  Default: 0.
        next_attempt_at (datetime.datetime | None | Unset):
        outputs (None | RunStepOutputsType0 | Unset):
        started_at (datetime.datetime | None | Unset):
    """

    attempts: int
    id: str
    needs: list[str]
    state: RunStepState
    uses: str
    error: None | StepError | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    input_: None | RunStepInputType0 | Unset = UNSET
    lost_attempts: int | Unset = 0
    next_attempt_at: datetime.datetime | None | Unset = UNSET
    outputs: None | RunStepOutputsType0 | Unset = UNSET
    started_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.run_step_input_type_0 import RunStepInputType0  # noqa: PLC0415
        from ..models.run_step_outputs_type_0 import RunStepOutputsType0  # noqa: PLC0415
        from ..models.step_error import StepError  # noqa: PLC0415

        attempts = self.attempts

        id = self.id

        needs = self.needs

        state = self.state.value

        uses = self.uses

        error: dict[str, Any] | None | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        elif isinstance(self.error, StepError):
            error = self.error.to_dict()
        else:
            error = self.error

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        input_: dict[str, Any] | None | Unset
        if isinstance(self.input_, Unset):
            input_ = UNSET
        elif isinstance(self.input_, RunStepInputType0):
            input_ = self.input_.to_dict()
        else:
            input_ = self.input_

        lost_attempts = self.lost_attempts

        next_attempt_at: None | str | Unset
        if isinstance(self.next_attempt_at, Unset):
            next_attempt_at = UNSET
        elif isinstance(self.next_attempt_at, datetime.datetime):
            next_attempt_at = self.next_attempt_at.isoformat()
        else:
            next_attempt_at = self.next_attempt_at

        outputs: dict[str, Any] | None | Unset
        if isinstance(self.outputs, Unset):
            outputs = UNSET
        elif isinstance(self.outputs, RunStepOutputsType0):
            outputs = self.outputs.to_dict()
        else:
            outputs = self.outputs

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        elif isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "id": id,
                "needs": needs,
                "state": state,
                "uses": uses,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if input_ is not UNSET:
            field_dict["input"] = input_
        if lost_attempts is not UNSET:
            field_dict["lost_attempts"] = lost_attempts
        if next_attempt_at is not UNSET:
            field_dict["next_attempt_at"] = next_attempt_at
        if outputs is not UNSET:
            field_dict["outputs"] = outputs
        if started_at is not UNSET:
            field_dict["started_at"] = started_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_step_input_type_0 import RunStepInputType0  # noqa: PLC0415
        from ..models.run_step_outputs_type_0 import RunStepOutputsType0  # noqa: PLC0415
        from ..models.step_error import StepError  # noqa: PLC0415

        d = dict(src_dict)
        attempts = d.pop("attempts")

        id = d.pop("id")

        needs = cast(list[str], d.pop("needs"))

        state = RunStepState(d.pop("state"))

        uses = d.pop("uses")

        def _parse_error(data: object) -> None | StepError | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_0 = StepError.from_dict(data)

                return error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StepError | Unset, data)

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

        def _parse_input_(data: object) -> None | RunStepInputType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                input_type_0 = RunStepInputType0.from_dict(data)

                return input_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RunStepInputType0 | Unset, data)

        input_ = _parse_input_(d.pop("input", UNSET))

        lost_attempts = d.pop("lost_attempts", UNSET)

        def _parse_next_attempt_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        next_attempt_at = _parse_next_attempt_at(d.pop("next_attempt_at", UNSET))

        def _parse_outputs(data: object) -> None | RunStepOutputsType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                outputs_type_0 = RunStepOutputsType0.from_dict(data)

                return outputs_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RunStepOutputsType0 | Unset, data)

        outputs = _parse_outputs(d.pop("outputs", UNSET))

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

        run_step = cls(
            attempts=attempts,
            id=id,
            needs=needs,
            state=state,
            uses=uses,
            error=error,
            finished_at=finished_at,
            input_=input_,
            lost_attempts=lost_attempts,
            next_attempt_at=next_attempt_at,
            outputs=outputs,
            started_at=started_at,
        )

        run_step.additional_properties = d
        return run_step

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
