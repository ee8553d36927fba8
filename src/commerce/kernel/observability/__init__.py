"""Observability written once for every process: metrics, tracing, log hygiene.

``create_service_app`` wires the HTTP side (request metrics, server spans, access log,
``/metrics``); ``run_service`` sets up the process side (tracer provider, JSON logs).
"""
