"""Types and helpers the tests share (fixtures stay in conftest.py files)."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
"""The in-process client of the FluxForge app that the `client` fixtures yield."""
