"""Messaging written once: outbox, relay, inbox, consumer runner, topics, embedded broker.

Services use :class:`~commerce.kernel.messaging.runtime.Messaging` (one per process), write
events with :func:`~commerce.kernel.messaging.outbox.add_to_outbox` inside their unit of work,
and guard handlers with :func:`~commerce.kernel.messaging.inbox.first_delivery`.
"""
