"""The action server, run by the launcher: rasa_sdk's HTTP server with a token check in front of it.

rasa_sdk has no authentication and binds to 0.0.0.0. Here it binds to `--interface` (the launcher passes
INTERNAL_HOST: loopback, or a private interface in a scaled layout), and every route except `GET /health` needs
`Authorization: Bearer <ACTION_SERVER_TOKEN>` (compared in constant time), else 401. Rasa sends that header: it is in
the `headers:` of the action endpoint in the generated endpoints.yml (`api/runtime/rasa_endpoints.py`).

    ACTION_SERVER_TOKEN=… python -m actions.server --actions actions --port 5055 --interface 127.0.0.1
"""

from __future__ import annotations

import hmac
import logging
import os
from functools import partial
from typing import Any

from rasa_sdk import endpoint, utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

TOKEN_ENV = "ACTION_SERVER_TOKEN"
OPEN_PATHS = frozenset({"/health"})  # readiness; says nothing but "ok"


def authorized(header: str | None, token: str) -> bool:
    """`header` is `Bearer <token>` for a non-empty token."""
    if not token or not header:
        return False
    scheme, _, provided = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(provided.strip().encode(), token.encode())


def create_app(executor: ActionExecutor, token: str) -> Sanic:
    """rasa_sdk's app (no cross-origin requests: no browser has business here) behind the token check."""
    app = endpoint.create_app_for_serve(executor, cors_origins="")

    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or authorized(request.headers.get("authorization"), token):
            return None
        return response.json({"error": "unauthorized"}, status=401)

    app.register_middleware(require_token, "request")
    return app


def main(argv: list[str] | None = None) -> None:
    parser = endpoint.create_argument_parser()  # type: ignore[no-untyped-call]
    parser.add_argument("--interface", default="127.0.0.1", help="the address to listen on")
    args = parser.parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)  # type: ignore[no-untyped-call]
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise SystemExit(f"{TOKEN_ENV} is not set: the action server refuses to run without a token")
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(factory=partial(create_app, executor, token))
    app: Any = loader.load()
    app.prepare(host=args.interface, port=args.port, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
