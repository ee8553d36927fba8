"""The issue's yardstick for a Python proxy: about twenty lines of aiohttp (server and pooled
client, uvloop) forwarding every request to one upstream, with none of the gateway's policy
(no token check, header policy, limits, breaker, metrics or logs). ``bench/gateway.py``
measures it beside nginx and the gateway, so the gateway/nginx ratio can be read against
what plain Python proxying reaches on this machine in the same run. Not part of the platform.

    .venv/bin/python bench/reference_proxy.py PORT UPSTREAM_HOST:PORT
"""

from __future__ import annotations

import sys

import aiohttp
import uvloop
from aiohttp import web

# What a proxy must not pass on (RFC 9110 section 7.6.1), plus what aiohttp sets itself.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def application(upstream: str) -> web.Application:
    async def open_client(app: web.Application) -> None:
        app["client"] = aiohttp.ClientSession(
            f"http://{upstream}", connector=aiohttp.TCPConnector(limit=512), auto_decompress=False
        )

    async def close_client(app: web.Application) -> None:
        await app["client"].close()

    async def forward(request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with request.app["client"].request(
            request.method, request.rel_url, headers=headers, data=await request.read()
        ) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            return web.Response(status=answer.status, headers=kept, body=body)

    app = web.Application()
    app.on_startup.append(open_client)
    app.on_cleanup.append(close_client)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


if __name__ == "__main__":
    port, upstream = int(sys.argv[1]), sys.argv[2]
    loop = uvloop.new_event_loop()
    web.run_app(
        application(upstream), host="127.0.0.1", port=port, access_log=None, print=None, loop=loop
    )
