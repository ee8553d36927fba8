"""The answer delay the re-drive waits on top of its schedule (docs/adr/0066)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from commerce.order.application.answer_delay import AnswerDelay

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_nothing_seen_means_no_delay() -> None:
    assert AnswerDelay(window=timedelta(seconds=10)).current(at(0)) == timedelta(0)


def test_the_largest_delay_within_the_window_counts() -> None:
    delay = AnswerDelay(window=timedelta(seconds=10))
    delay.observe(asked_at=at(0), answered_at=at(8))
    delay.observe(asked_at=at(7), answered_at=at(9))  # a quick one does not hide the backlog
    assert delay.current(at(9)) == timedelta(seconds=8)


def test_a_delay_is_forgotten_a_window_after_it_was_seen() -> None:
    delay = AnswerDelay(window=timedelta(seconds=10))
    delay.observe(asked_at=at(0), answered_at=at(8))
    assert delay.current(at(18)) == timedelta(seconds=8)
    assert delay.current(at(18.5)) == timedelta(0)


def test_past_the_largest_ones_window_the_next_largest_counts() -> None:
    delay = AnswerDelay(window=timedelta(seconds=10))
    delay.observe(asked_at=at(0), answered_at=at(8))
    delay.observe(asked_at=at(10), answered_at=at(15))
    # The 8 s answer is older than the window; the 5 s one is not.
    assert delay.current(at(19)) == timedelta(seconds=5)
    delay.observe(asked_at=at(16), answered_at=at(20))
    assert delay.current(at(20)) == timedelta(seconds=5)
    assert delay.current(at(25.5)) == timedelta(seconds=4)


def test_an_answer_stamped_before_its_request_counts_as_no_delay() -> None:
    delay = AnswerDelay(window=timedelta(seconds=10))
    delay.observe(asked_at=at(5), answered_at=at(4))  # clocks of two processes
    assert delay.current(at(5)) == timedelta(0)


def test_it_keeps_only_a_windows_answers_even_if_nobody_asks() -> None:
    delay = AnswerDelay(window=timedelta(seconds=10))
    for second in range(1000):  # answers ever quicker (1000 s, then 999.5 s, ...)
        delay.observe(asked_at=at(1.5 * second - 1000), answered_at=at(second))
    assert len(delay._candidates) == 11  # the answers of the last 10 s, not 1000
    assert delay.current(at(999)) == timedelta(seconds=1000 - 0.5 * 989)
