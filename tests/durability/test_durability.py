"""Nothing accepted is lost silently: exporter down, kill -9 under load, restart on the same queue.

Short versions of bench/durability (which runs the 5-minute outage). Each test runs the real
collector on the config `mcpparity generate` writes, and asserts that every span the collector
acknowledged reaches the backend once it is up (duplicates are allowed and reported)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from durability import Result, Scenario, run_scenario


def report(result: Result) -> None:
    print("durability:", json.dumps(result.summary(), sort_keys=True))


def assert_nothing_acknowledged_was_lost(result: Result) -> None:
    assert result.killed_rc == -9, "the first collector must die by SIGKILL"
    assert result.received_before_restart == 0, "the backend was down: every span acknowledged before the kill was only on disk"
    assert result.acked_before_kill > 0 and result.queue_bytes_at_kill > 0
    assert result.acked > result.acked_before_kill, "the restarted collector accepts new spans too"
    assert result.lost == 0, f"{result.lost} acknowledged spans never arrived: {result.summary()}"
    assert result.received_unique >= result.acked


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_kill9_during_an_outage_loses_no_acknowledged_span(tmp_path: Path, protocol: str) -> None:
    """otlp_grpc (an OTLP backend) and otlp_http (the Langfuse exporter's type)."""
    result = run_scenario(tmp_path, Scenario(outage_s=20, after_s=5, rate=1000, protocol=protocol), log=print)
    report(result)
    assert_nothing_acknowledged_was_lost(result)
    assert result.refused == 0, "the default queue (1 GiB) and memory (512 MiB) hold a 20 s outage at 1,000 spans/s"
    assert result.deprecation_warnings == [], "generated configs use otlp_grpc/otlp_http, not the deprecated aliases"


def test_a_full_queue_refuses_with_a_retryable_error_and_loses_nothing(tmp_path: Path) -> None:
    """A 1 MiB queue fills within seconds: the receiver answers 503 (the sender sees the backpressure)
    instead of dropping, and what it acknowledged still arrives after kill -9 and restart."""
    result = run_scenario(tmp_path, Scenario(outage_s=8, after_s=15, rate=1000, queue_size_mib=1), log=print)
    report(result)
    assert result.refused > 0 and set(result.refusal_statuses) == {"503"}, result.summary()
    assert_nothing_acknowledged_was_lost(result)


def test_negative_control_an_in_memory_queue_loses_what_it_acknowledged(tmp_path: Path) -> None:
    """The same scenario without `storage` (the queue in memory, as before): the check above can fail."""
    result = run_scenario(tmp_path, Scenario(outage_s=5, after_s=2, rate=1000, persistent=False, drain_timeout_s=15), log=print)
    report(result)
    assert result.killed_rc == -9 and result.acked_before_kill > 0
    assert result.lost >= result.acked_before_kill * 9 // 10, result.summary()
