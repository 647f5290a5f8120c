from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.trace_attempt_outcome import TraceAttemptOutcome
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.step_error import StepError
    from ..models.trace_attempt_input import TraceAttemptInput
    from ..models.trace_attempt_output_type_0 import TraceAttemptOutputType0


T = TypeVar("T", bound="TraceAttempt")


@_attrs_define
class TraceAttempt:
    """
    Attributes:
        attempt (int):
        duration_ms (int):
        input_ (TraceAttemptInput):
        input_digest (str):
        outcome (TraceAttemptOutcome):
        seq (int):
        started_seq (int):
        step (str):
        error (None | StepError | Unset):
        output (None | TraceAttemptOutputType0 | Unset):
        output_digest (None | str | Unset):
        retry_delay_ms (int | None | Unset):
    """

    attempt: int
    duration_ms: int
    input_: TraceAttemptInput
    input_digest: str
    outcome: TraceAttemptOutcome
    seq: int
    started_seq: int
    step: str
    error: None | StepError | Unset = UNSET
    output: None | TraceAttemptOutputType0 | Unset = UNSET
    output_digest: None | str | Unset = UNSET
    retry_delay_ms: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.step_error import StepError  # noqa: PLC0415
        from ..models.trace_attempt_output_type_0 import TraceAttemptOutputType0  # noqa: PLC0415

        attempt = self.attempt

        duration_ms = self.duration_ms

        input_ = self.input_.to_dict()

        input_digest = self.input_digest

        outcome = self.outcome.value

        seq = self.seq

        started_seq = self.started_seq

        step = self.step

        error: dict[str, Any] | None | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        elif isinstance(self.error, StepError):
            error = self.error.to_dict()
        else:
            error = self.error

        output: dict[str, Any] | None | Unset
        if isinstance(self.output, Unset):
            output = UNSET
        elif isinstance(self.output, TraceAttemptOutputType0):
            output = self.output.to_dict()
        else:
            output = self.output

        output_digest: None | str | Unset
        if isinstance(self.output_digest, Unset):
            output_digest = UNSET
        else:
            output_digest = self.output_digest

        retry_delay_ms: int | None | Unset
        if isinstance(self.retry_delay_ms, Unset):
            retry_delay_ms = UNSET
        else:
            retry_delay_ms = self.retry_delay_ms

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempt": attempt,
                "duration_ms": duration_ms,
                "input": input_,
                "input_digest": input_digest,
                "outcome": outcome,
                "seq": seq,
                "started_seq": started_seq,
                "step": step,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if output is not UNSET:
            field_dict["output"] = output
        if output_digest is not UNSET:
            field_dict["output_digest"] = output_digest
        if retry_delay_ms is not UNSET:
            field_dict["retry_delay_ms"] = retry_delay_ms

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.step_error import StepError  # noqa: PLC0415
        from ..models.trace_attempt_input import TraceAttemptInput  # noqa: PLC0415
        from ..models.trace_attempt_output_type_0 import TraceAttemptOutputType0  # noqa: PLC0415

        d = dict(src_dict)
        attempt = d.pop("attempt")

        duration_ms = d.pop("duration_ms")

        input_ = TraceAttemptInput.from_dict(d.pop("input"))

        input_digest = d.pop("input_digest")

        outcome = TraceAttemptOutcome(d.pop("outcome"))

        seq = d.pop("seq")

        started_seq = d.pop("started_seq")

        step = d.pop("step")

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

        def _parse_output(data: object) -> None | TraceAttemptOutputType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                output_type_0 = TraceAttemptOutputType0.from_dict(data)

                return output_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TraceAttemptOutputType0 | Unset, data)

        output = _parse_output(d.pop("output", UNSET))

        def _parse_output_digest(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        output_digest = _parse_output_digest(d.pop("output_digest", UNSET))

        def _parse_retry_delay_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        retry_delay_ms = _parse_retry_delay_ms(d.pop("retry_delay_ms", UNSET))

        trace_attempt = cls(
            attempt=attempt,
            duration_ms=duration_ms,
            input_=input_,
            input_digest=input_digest,
            outcome=outcome,
            seq=seq,
            started_seq=started_seq,
            step=step,
            error=error,
            output=output,
            output_digest=output_digest,
            retry_delay_ms=retry_delay_ms,
        )

        trace_attempt.additional_properties = d
        return trace_attempt

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
