"""The reference point for the HTTP figures: a bare Litestar + asyncpg by-id read.

`make bench` serves it exactly as `fluxforge serve` is served (gunicorn, 2 uvicorn workers, the
same keep-alive and no access log) and drives it with the same load generator in the same run,
so the ratio "FluxForge read / bare read" says what FluxForge's own layers cost on this machine,
whatever else the machine is doing. It has none of FluxForge's layers on purpose: no auth, no
row-level security, no transaction, no middleware, one pooled connection and one query.

    BARE_DATABASE_URL=postgresql://... BARE_PORT=8799 \
        gunicorn -c loadtests/bare_app.py   (loadtests/baseline.py does this)

The table `bare_items` is created and filled by baseline.py before the server starts.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime

import asyncpg
import msgspec
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

# gunicorn settings: this file is also the server's config file (`gunicorn -c loadtests/bare_app.py`).
wsgi_app = "bare_app:create_app()"
worker_class = "uvicorn_worker.UvicornWorker"
workers = int(os.environ.get("BARE_WORKERS", "2"))
bind = [f"127.0.0.1:{os.environ.get('BARE_PORT', '8799')}"]
keepalive = 5
backlog = 2048
accesslog = None
loglevel = "warning"
control_socket_disable = True
proc_name = "fluxforge-bare"
pythonpath = os.path.dirname(os.path.abspath(__file__))

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS bare_items (
    id uuid PRIMARY KEY, slug text NOT NULL, display_name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now()
)
"""


class Item(msgspec.Struct):
    id: uuid.UUID
    slug: str
    display_name: str
    created_at: datetime


@get("/items/{item_id:uuid}")
async def read_item(item_id: uuid.UUID, state: State) -> Item:
    row = await state.pool.fetchrow("SELECT id, slug, display_name, created_at FROM bare_items WHERE id = $1", item_id)
    if row is None:
        raise NotFoundException()
    return Item(row["id"], row["slug"], row["display_name"], row["created_at"])


async def _open_pool(app: Litestar) -> None:
    app.state.pool = await asyncpg.create_pool(os.environ["BARE_DATABASE_URL"], min_size=2, max_size=10)


async def _close_pool(app: Litestar) -> None:
    await app.state.pool.close()


def create_app() -> Litestar:
    return Litestar([read_item], on_startup=[_open_pool], on_shutdown=[_close_pool], openapi_config=None)
