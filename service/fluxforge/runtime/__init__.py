"""Process runtime: the CLI, the supervisor of `fluxforge run`, embedded servers, the ASGI entry."""
