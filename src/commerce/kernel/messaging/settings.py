"""Messaging settings, mixed into a service's settings class.

``class Settings(ServiceSettings, MessagingSettings)`` gives the service these fields under its
own prefix (``ORDER_KAFKA_BOOTSTRAP_SERVERS``, ...). Defaults suit the embedded broker. The
security settings (protocol, SASL credentials, CA) are in :mod:`.security`.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from commerce.kernel.messaging.security import KafkaSecuritySettings


class MessagingSettings(KafkaSecuritySettings):
    """Kafka, outbox relay and consumer settings of one service."""

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # True only for a broker that keeps nothing across a restart (the embedded one, which
    # the platform starts and then sets this for): topics are then re-created and retained
    # outbox rows republished after a restart (messaging.lost_log). Real Kafka: false.
    kafka_broker_may_lose_log: bool = False
    # Real Kafka: turn it on. The embedded Tansu broker (memory engine) refuses InitProducerId,
    # so an idempotent producer cannot start there; the inbox makes duplicates harmless anyway.
    kafka_enable_idempotence: bool = False
    kafka_topic_partitions: int = Field(default=3, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_request_timeout_seconds: float = Field(default=10.0, gt=0)
    # How soon a client notices topics that were (re)created, e.g. after a broker restart.
    kafka_metadata_max_age_seconds: float = Field(default=3.0, gt=0)

    # Commits that write to the outbox wake the relay at once; the poll only picks up rows
    # written by other processes (and each idle poll is a query), so it need not be short.
    outbox_poll_interval_seconds: float = Field(default=1.0, gt=0)
    outbox_batch_size: int = Field(default=100, ge=1)
    # A relay that claimed rows and died frees them after this long (then another publishes).
    outbox_claim_seconds: float = Field(default=30.0, gt=0)
    # Published rows are kept this long for inspection, then deleted by the relay.
    outbox_retention_seconds: float = Field(default=3600.0, ge=0)

    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_retry_backoff_seconds: float = Field(default=0.2, ge=0)
    consumer_max_backoff_seconds: float = Field(default=5.0, ge=0)
    # A message whose handler meets a dependency outage (database, Redis down) is never
    # dead-lettered: it is retried in place this long, then the consumer polls (to stay in its
    # group) and tries it again, for as long as the outage lasts.
    consumer_outage_retry_seconds: float = Field(default=30.0, gt=0)
    # A member that does not poll for this long is put out of its group (aiokafka's
    # max_poll_interval_ms); the in-place retries above stay well within it.
    consumer_max_poll_interval_seconds: float = Field(default=300.0, gt=0)
    consumer_batch_size: int = Field(default=100, ge=1)
    # A poll's messages of one partition in one transaction (docs/adr/0043); false: one
    # transaction per message.
    consumer_batch_transactions: bool = True
    # How long the group waits for a silent member before giving its partitions to others.
    consumer_session_timeout_seconds: float = Field(default=10.0, gt=0)
    # How long the broker may hold a fetch open waiting for data. aiokafka's 500 ms default
    # adds up to that much to every saga hop on an idle topic; 50 ms keeps a hop near 30 ms.
    consumer_fetch_max_wait_seconds: float = Field(default=0.05, gt=0)
    # Processed event ids are kept this long (well past Kafka's retention and any re-drive),
    # then deleted every purge interval.
    inbox_retention_seconds: float = Field(default=14 * 24 * 3600.0, gt=0)
    inbox_purge_interval_seconds: float = Field(default=3600.0, gt=0)
    # A dead letter an operator resolved (replayed or discarded) is kept this long after, for
    # the console and the audit, then deleted at the inbox's purge; an open one stays.
    dead_letter_retention_seconds: float = Field(default=30 * 24 * 3600.0, gt=0)

    @model_validator(mode="after")
    def _retries_fit_between_polls(self) -> MessagingSettings:
        # Half the poll interval at most, leaving the other half to the rest of a batch.
        in_place = self.consumer_outage_retry_seconds + self.consumer_max_backoff_seconds
        if in_place > self.consumer_max_poll_interval_seconds / 2:
            raise ValueError(
                "consumer_outage_retry_seconds + consumer_max_backoff_seconds must be at most "
                "half of consumer_max_poll_interval_seconds"
            )
        return self
