from __future__ import annotations

import io
import json
import logging

from hypothesis import assume, given
from hypothesis import strategies as st

from fluxforge.config import load_settings
from fluxforge.telemetry import JsonFormatter, redact, redact_text, request_id_var

SECRET = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-", min_size=12, max_size=40)


TEMPLATES = (
    "Authorization: Bearer {}",
    "postgresql://owner:{}@db:5432/ff",
    "GET /callback?code=1&token={}",
    "admin token ffadm_{}",
)


@given(SECRET)
def test_secret_shapes_are_masked_in_text(secret: str) -> None:
    assume(not any(secret in template for template in TEMPLATES))  # the secret must not be template text
    for template in TEMPLATES:
        assert secret not in redact_text(template.format(secret))


def test_secret_keys_are_masked_at_any_depth() -> None:
    value = {"user": "ann", "headers": {"Authorization": "x"}, "items": [{"api_key": "k", "n": 1}], "password": 3}
    assert redact(value) == {
        "user": "ann",
        "headers": {"Authorization": "[REDACTED]"},
        "items": [{"api_key": "[REDACTED]", "n": 1}],
        "password": "[REDACTED]",
    }


def test_log_lines_are_json_with_request_id_and_no_secrets() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("fluxforge.test.telemetry")
    logger.addHandler(handler)
    logger.propagate = False
    token = request_id_var.set("req-42")
    try:
        logger.warning(
            "connect to %s failed", "postgresql://app:hunter2hunter2@db/ff", extra={"client_secret": "s3cr3t"}
        )
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["level"] == "warning"
    assert line["request_id"] == "req-42"
    assert line["client_secret"] == "[REDACTED]"
    assert "hunter2" not in stream.getvalue()
    assert line["msg"] == "connect to postgresql://app:[REDACTED]@db/ff failed"


def test_settings_used_by_logging_load() -> None:
    assert load_settings({"FLUXFORGE_LOG_LEVEL": "DEBUG"}).log_level == "DEBUG"
