"""Topics are created at start-up, and again whenever the broker has lost them.

The embedded broker keeps nothing across a restart, and it accepts writes to a topic that no
longer exists without storing them where a consumer can read them. So the runtime re-checks
every few seconds (creating is idempotent), and the publisher makes sure of a batch's topics
through :meth:`TopicAdmin.ensure_known`: a metadata round trip only for topics not known to
exist. What is known is forgotten when the broker reports a new cluster id (a restarted
embedded broker, whose log is gone) or when a produce says a topic or its leader is missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from commerce.contracts.topics import dlq_topic
from commerce.kernel.messaging.security import security_options
from commerce.kernel.messaging.settings import MessagingSettings

log = logging.getLogger("commerce.messaging.admin")

TOPIC_ALREADY_EXISTS = 36
T = TypeVar("T")


def client_options(settings: MessagingSettings) -> dict[str, Any]:
    """Connection options every aiokafka client of a service shares (the producer, the
    consumers and the admin client alike): where the broker is, and how to authenticate."""
    service = getattr(settings, "service_name", "service")
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "client_id": f"commerce-{service}",
        "request_timeout_ms": int(settings.kafka_request_timeout_seconds * 1000),
        "metadata_max_age_ms": int(settings.kafka_metadata_max_age_seconds * 1000),
        **security_options(settings),
    }


def with_dead_letters(topics: Iterable[str]) -> list[str]:
    """``topics`` and the dead-letter topic of each, without repeats, in a stable order."""
    names: list[str] = []
    for topic in topics:
        for name in (topic, dlq_topic(topic)):
            if name not in names:
                names.append(name)
    return names


class TopicAdmin:
    """Creates missing topics and answers readiness pings; reconnects after any failure."""

    def __init__(self, settings: MessagingSettings) -> None:
        self._settings = settings
        self._client: AIOKafkaAdminClient | None = None
        self._lock = asyncio.Lock()
        # Topics seen on the broker (or created) since the last sign it may have lost them.
        self._known: set[str] = set()
        self._cluster_id: str | None = None

    async def _admin(self) -> AIOKafkaAdminClient:
        if self._client is None:
            client = AIOKafkaAdminClient(**client_options(self._settings))
            try:
                await client.start()
            except BaseException:
                await client.close()
                raise
            self._client = client
        return self._client

    async def _reset(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.close()
            except Exception:  # closing a broken client may fail too; the next call reconnects
                log.debug("closing the admin client failed", exc_info=True)

    async def _call(self, operation: Callable[[AIOKafkaAdminClient], Awaitable[T]]) -> T:
        """Run ``operation`` on the client; after a failure (typically a connection the
        broker closed when it restarted) try once more on a new client."""
        async with self._lock:
            for attempt in (1, 2):
                try:
                    return await operation(await self._admin())
                except asyncio.CancelledError:
                    await self._reset()
                    raise
                except Exception:
                    await self._reset()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    async def existing_topics(self) -> set[str]:
        return set(await self._call(lambda admin: admin.list_topics()))

    async def ensure_known(self, topics: Iterable[str]) -> list[str]:
        """:meth:`ensure_topics` for those of ``topics`` not known to exist; no request at
        all when every one is known (the publisher's path, once per batch)."""
        unknown = [name for name in dict.fromkeys(topics) if name not in self._known]
        if not unknown:
            return []
        return await self.ensure_topics(unknown)

    def forget_topics(self, topics: Iterable[str] | None = None) -> None:
        """Stop trusting that ``topics`` (default: all) exist; the next use checks again."""
        if topics is None:
            self._known.clear()
        else:
            self._known.difference_update(topics)

    async def ensure_topics(self, topics: Iterable[str]) -> list[str]:
        """Create those of ``topics`` the broker does not have; returns the ones created."""
        wanted = list(dict.fromkeys(topics))

        async def create_missing(admin: AIOKafkaAdminClient) -> Any:
            existing = set(await admin.list_topics())
            self._known.update(name for name in wanted if name in existing)
            missing = [name for name in wanted if name not in existing]
            if not missing:
                return None
            partitions = self._settings.kafka_topic_partitions
            replication = self._settings.kafka_replication_factor
            return await admin.create_topics(
                [NewTopic(name, partitions, replication) for name in missing]
            )

        response = await self._call(create_missing)
        if response is None:
            return []
        created = []
        for name, code, message in response.topic_errors:
            if code == 0:
                created.append(name)
            elif code != TOPIC_ALREADY_EXISTS:  # someone else created it meanwhile: fine
                raise RuntimeError(f"creating topic {name!r} failed: error {code} {message}")
            self._known.add(name)
        if created:
            log.info("created topics %s", ", ".join(created))
        return created

    async def cluster_id(self) -> str | None:
        """The id the broker reports for its cluster; a new one means a new, empty cluster
        (then no topic is known to exist any more)."""
        description = await self._call(lambda admin: admin.describe_cluster())
        value = description.get("cluster_id")
        cluster_id = str(value) if value else None
        if cluster_id != self._cluster_id:
            if self._cluster_id is not None:
                self.forget_topics()
            self._cluster_id = cluster_id
        return cluster_id

    async def committed_offsets(
        self, group_id: str, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """The offsets ``group_id`` committed on ``partitions`` (-1: never committed there).

        Named explicitly: the embedded broker drops the connection when asked for "all"."""
        offsets = await self._call(
            lambda admin: admin.list_consumer_group_offsets(group_id, partitions=partitions)
        )
        return {tp: meta.offset for tp, meta in offsets.items()}

    async def ping(self) -> None:
        """Raise unless the broker answers a metadata request (for ``/readyz``)."""
        await self.existing_topics()

    async def close(self) -> None:
        async with self._lock:
            await self._reset()
