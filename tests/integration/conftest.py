"""Fixtures the integration tests of one domain share across their modules (plain helpers live
in modules beside them, such as invoice_support.py)."""

from __future__ import annotations

import asyncpg
import pytest

from tests.integration.invoice_support import ensure_billing_meters


@pytest.fixture(scope="session")
async def billing_meters(owner_conn: asyncpg.Connection) -> None:
    """The platform meters the invoice tests bill for, made once."""
    await ensure_billing_meters(owner_conn)
