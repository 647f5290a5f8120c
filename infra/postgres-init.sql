-- Runs once, when the postgres container initialises an empty data directory
-- (mounted into /docker-entrypoint-initdb.d by infra/docker-compose.yml).
--
-- The API and the worker connect as fluxforge_app (no superuser, no BYPASSRLS) so that row-level
-- security applies to them. `fluxforge migrate` would create the role itself, but without a
-- password, and this server requires passwords over the network: create it here with one, and
-- migrations then grant it its privileges. Change the password for anything but local use
-- (and FLUXFORGE_APP_DATABASE_URL with it).
CREATE ROLE fluxforge_app LOGIN PASSWORD 'fluxforge_app' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
