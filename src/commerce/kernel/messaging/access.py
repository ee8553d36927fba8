"""What one service does on Kafka, declared once (ADR 0046).

Each service's ``bootstrap.KAFKA_ACCESS`` says which topics it produces and which it consumes
in which consumer group. Production grants the service's broker account exactly that (a
Strimzi KafkaUser, compared with this declaration by tests/deploy), and :class:`Messaging`
refuses to consume or publish anything else, so a new consumer or topic fails in every test
instead of only in production, where the broker would refuse it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from commerce.contracts.topics import dlq_topic


class UndeclaredKafkaUse(RuntimeError):
    """A service was about to use a topic or group its :class:`KafkaAccess` does not list."""


@dataclass(frozen=True)
class KafkaAccess:
    """The topics a service produces, and the topics each of its consumer groups reads.

    A consumer also writes the dead letters of what it reads (``<topic>.dlq``), so those are
    among the topics it may write.
    """

    produces: tuple[str, ...] = ()
    consumes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(self.consumes)

    @property
    def reads(self) -> frozenset[str]:
        return frozenset(topic for topics in self.consumes.values() for topic in topics)

    @property
    def writes(self) -> frozenset[str]:
        return frozenset(self.produces) | {dlq_topic(topic) for topic in self.reads}

    def topics(self) -> list[str]:
        """Every topic the service touches, each once, in a stable order."""
        consumed = [topic for topics in self.consumes.values() for topic in topics]
        dead_letters = [dlq_topic(topic) for topic in consumed]
        return list(dict.fromkeys([*self.produces, *consumed, *dead_letters]))

    def check_consumer(self, group: str, topics: Iterable[str]) -> None:
        """Raise unless group ``group`` is declared to read every one of ``topics``."""
        undeclared = sorted(set(topics) - set(self.consumes.get(group, ())))
        if undeclared:
            raise UndeclaredKafkaUse(
                f"consumer group {group!r} reads {', '.join(undeclared)} but the service's "
                "KAFKA_ACCESS does not say so: declare it there, and give its KafkaUser the "
                "ACL (deploy/kubernetes, ADR 0046)"
            )
