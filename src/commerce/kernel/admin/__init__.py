"""Operations admin API every service with messaging serves under ``/v1/admin/<service>``:
the outbox backlog, consumer lag, dead letters (replay, discard) and the audit of what
operators did (docs/adr/0048, docs/adr/0049)."""
