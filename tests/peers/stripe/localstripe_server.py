"""Run localstripe (PyPI) on 127.0.0.1:<port>, in memory only: `python localstripe_server.py <port>`.

localstripe's own entry point listens on every interface and pickles its whole store to the fixed
path /tmp/localstripe.pickle after every write, so two test runs on one machine would share that
file. Here its aiohttp app is served on loopback only and keeps its state in memory for the
lifetime of the process, which is all a test session needs.
"""

from __future__ import annotations

import sys

import localstripe.resources
from aiohttp import web
from localstripe.server import app


def main() -> None:
    port = int(sys.argv[1])
    localstripe.resources.Store.dump_to_disk = lambda self: None
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
