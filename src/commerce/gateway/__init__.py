"""The API gateway: the one door clients use.

No domain here: a routing table, the bearer-token check, the header policy, resilience
(timeouts, retries, circuit breakers, limits) and the merged OpenAPI document.
"""
