"""Operations admin API every service with messaging serves under ``/v1/admin/<service>``:
the outbox backlog, consumer lag, dead letters (replay, discard) and the audit of what
operators did (docs/adr/0048, docs/adr/0049)."""

# Where every service serves it, and where the gateway routes it (to ADMIN only).
ADMIN_PATH_PREFIX = "/v1/admin"
