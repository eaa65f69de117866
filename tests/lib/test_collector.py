"""Moving a config's listeners to free ports (lib/collector.py), and what the durability scenario does
to the process (kill -9, RSS, a restart on the same config); exporting is covered by tests/e2e and
tests/parity/run_parity.py, which start the built distribution through it."""

from __future__ import annotations

from pathlib import Path

from lib.collector import Collector, bind_free_ports


def test_listeners_move_and_health_check_is_added() -> None:
    config = {"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "127.0.0.1:4317", "max_recv_msg_size_mib": 64}}}},
              "exporters": {"file": {"path": "/tmp/x"}},
              "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["file"]}}}}
    ports = bind_free_ports(config)
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"] == {"endpoint": f"127.0.0.1:{ports.grpc}", "max_recv_msg_size_mib": 64}
    assert protocols["http"] == {"endpoint": f"127.0.0.1:{ports.http}"}
    assert config["extensions"]["health_check"] == {"endpoint": f"127.0.0.1:{ports.health}"}
    assert config["service"]["extensions"] == ["health_check"]
    assert len({ports.grpc, ports.http, ports.health} - {4317, 4318, 13133}) == 3
    # no Prometheus reader: the collector's own metrics are off (the default :8888 would collide)
    assert ports.metrics is None and config["service"]["telemetry"]["metrics"] == {"level": "none"}
    assert config["exporters"] == {"file": {"path": "/tmp/x"}}


def test_a_prometheus_reader_moves_to_a_free_port() -> None:
    reader = {"pull": {"exporter": {"prometheus": {"host": "0.0.0.0", "port": 8888}}}}
    config = {"receivers": {"otlp": {"protocols": {}}},
              "service": {"extensions": ["health_check"],
                          "telemetry": {"metrics": {"level": "detailed", "readers": [reader]}}}}
    ports = bind_free_ports(config)
    assert ports.metrics not in (None, 8888)
    assert config["service"]["telemetry"]["metrics"]["level"] == "detailed"
    assert reader["pull"]["exporter"]["prometheus"] == {"host": "127.0.0.1", "port": ports.metrics}
    assert config["service"]["extensions"] == ["health_check"]


def test_kill9_hits_the_collector_itself_and_a_restart_on_the_same_config_gets_new_ports(tmp_path: Path) -> None:
    """Popen runs `timeout`; kill9() and rss_mib() must reach the collector under it, not `timeout`."""
    config = {"receivers": {"otlp": {"protocols": {}}},
              "exporters": {"file": {"path": str(tmp_path / "traces.json")}},
              "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["file"]}}}}
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = Collector(tmp_path / "first", config)
    with first:
        pid = first.collector_pid()
        assert pid != first.proc.pid and "otelcol-mcpparity" in Path(f"/proc/{pid}/cmdline").read_text()
        assert first.rss_mib() > 10  # the collector's RSS, not that of `timeout` (about 1 MiB)
        assert first.kill9() == -9
        assert not first.alive() and not Path(f"/proc/{pid}").exists() and first.rss_mib() == 0.0
        with Collector(tmp_path / "second", config) as second:
            assert second.alive() and second.ports != first.ports
    assert "traces.json" in (tmp_path / "second" / "collector.yaml").read_text()
