"""The refresh-token cookie a browser may opt into (docs/adr/0024): what auth and the gateway
must agree on.

Auth sets the cookie only for a request that carries ``X-Refresh-Token-Transport: cookie``;
the gateway forwards it to auth only, on the two paths it is scoped to, and to no other
service.
"""

from __future__ import annotations

REFRESH_COOKIE_NAME = "commerce_refresh"
# A cookie has one path: one cookie per path scopes the token to exactly these two.
REFRESH_COOKIE_PATHS = ("/v1/auth/refresh", "/v1/auth/logout")
TRANSPORT_HEADER = "X-Refresh-Token-Transport"
COOKIE_TRANSPORT = "cookie"
