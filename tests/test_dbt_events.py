"""clusterwatch-dbt drops only the dbt events that no logger would write (pipelines/transform/dbt_events.py)."""
from __future__ import annotations

import io
import json

import pytest
from dbt_common.events import event_manager as em
from dbt_common.events.base_types import EventLevel
from dbt_common.events.logger import LineFormat, LoggerConfig
from dbt_common.events.types import Note

from pipelines.transform.dbt_events import drop_unlogged_events


@pytest.fixture
def manager(monkeypatch):
    """A fresh dbt event manager with the filter on; dbt's own class is restored afterwards."""
    monkeypatch.setattr(em.EventManager, "fire_event", em.EventManager.fire_event)
    built = []
    real = em.msg_from_base_event
    monkeypatch.setattr(em, "msg_from_base_event", lambda e, level=None: built.append(e) or real(e, level=level))
    assert drop_unlogged_events()
    assert drop_unlogged_events()  # twice is once
    manager = em.EventManager()
    manager.built = built
    return manager


def _logger(manager, level: EventLevel) -> io.StringIO:
    out = io.StringIO()
    manager.add_logger(LoggerConfig(name=f"test-{level.value}-{id(out)}", level=level, line_format=LineFormat.Json,
                                    output_stream=out))
    return out


def _messages(out: io.StringIO) -> list[str]:
    return [json.loads(line)["info"]["msg"] for line in out.getvalue().splitlines()]


def test_an_event_below_every_loggers_level_is_never_built(manager):
    out = _logger(manager, EventLevel.INFO)
    manager.fire_event(Note(msg="a statement"), level=EventLevel.DEBUG)
    manager.fire_event(Note(msg="a result"), level=EventLevel.INFO)
    manager.fire_event(Note(msg="a warning"), level=EventLevel.WARN)
    assert _messages(out) == ["a result", "a warning"]
    assert [e.msg for e in manager.built] == ["a result", "a warning"]


def test_an_event_a_logger_wants_is_written(manager):
    info, debug = _logger(manager, EventLevel.INFO), _logger(manager, EventLevel.DEBUG)
    manager.fire_event(Note(msg="a statement"), level=EventLevel.DEBUG)
    assert _messages(debug) == ["a statement"] and _messages(info) == []


def test_warnings_reach_warn_error_even_when_no_logger_writes_them(manager):
    from dbt_common.exceptions import EventCompilationError

    _logger(manager, EventLevel.ERROR)
    manager.warn_error = True
    manager.fire_event(Note(msg="quiet info"), level=EventLevel.INFO)
    with pytest.raises(EventCompilationError):
        manager.fire_event(Note(msg="a warning"), level=EventLevel.WARN, force_warn_or_error_handling=True)


def test_a_callback_gets_every_event(manager):
    seen = []
    _logger(manager, EventLevel.INFO)
    manager.add_callback(lambda msg: seen.append(msg.info.msg))
    manager.fire_event(Note(msg="a statement"), level=EventLevel.DEBUG)
    assert seen == ["a statement"]


def test_a_logger_it_does_not_know_gets_every_event(manager):
    """A dbt whose loggers look different (no level): nothing is dropped, nothing breaks."""
    seen = []

    class Unknown:
        def filter(self, msg):
            return True

        def write_line(self, msg):
            seen.append(msg.info.msg)

    manager.loggers.append(Unknown())
    manager.fire_event(Note(msg="a statement"), level=EventLevel.DEBUG)
    assert seen == ["a statement"]
