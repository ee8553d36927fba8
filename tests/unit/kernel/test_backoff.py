from commerce.kernel.backoff import backoff_seconds


def test_the_wait_doubles_from_the_base_up_to_the_cap() -> None:
    waits = [backoff_seconds(n, base=0.1, cap=0.5) for n in range(1, 6)]

    assert waits == [0.1, 0.2, 0.4, 0.5, 0.5]


def test_jitter_adds_at_most_its_amount_and_spreads_the_waits() -> None:
    waits = [backoff_seconds(2, base=0.1, cap=1.0, jitter=0.1) for _ in range(200)]

    assert all(0.2 <= wait <= 0.3 for wait in waits)
    assert len(set(waits)) > 100  # not one value for everybody


def test_a_first_call_or_nonsense_count_waits_the_base() -> None:
    assert backoff_seconds(0, base=0.2, cap=5) == backoff_seconds(1, base=0.2, cap=5) == 0.2
