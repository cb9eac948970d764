"""Events no dbt logger would write are dropped before dbt builds them.

dbt turns every event it fires into a protobuf message (json_format.ParseDict), then formats a line for each
logger, and only then does the logger drop it by level. A `dbt build` fires thousands of debug events (several
per statement) that no logger writes at the info level the refresh uses: measured on the real snapshot, 2 to 4 s
of a 16 s build, all of it holding the GIL that dbt's two threads share.
"""
from __future__ import annotations

import functools

# Never dropped: warnings and errors (--warn-error may turn a warning into an error), and the events dbt
# prints whatever the level (`dbt show`, `dbt compile`).
_BELOW_WARN = ("debug", "test", "info")


def drop_unlogged_events() -> bool:
    """Make dbt skip debug and info events that every logger would drop by level. False (nothing changed) when
    this dbt's event manager is not the one it was written for, or a callback listens to every event."""
    try:
        from dbt.tracking import track_behavior_change_warn
        from dbt_common.events.event_manager import EventManager
        from dbt_common.events.logger import _log_level_map, PRINT_EVENT_NAMES
    except ImportError:
        return False
    fire = EventManager.fire_event
    if getattr(fire, "drops_unlogged", False):
        return True
    level_of = {level.value: number for level, number in _log_level_map.items()}

    def unlogged(manager, e, level) -> bool:
        try:
            name = (level or e.level_tag()).value
            # dbt's own callback reads one warning event only; any other callback (dbtRunner's) gets every event.
            return (name in _BELOW_WARN and type(e).__name__ not in PRINT_EVENT_NAMES
                    and all(c is track_behavior_change_warn for c in manager.callbacks)
                    and all(level_of[name] < level_of[lg.level.value] for lg in manager.loggers))
        except Exception:  # noqa: BLE001 - a dbt whose loggers look different: every event, as dbt does
            return False

    @functools.wraps(fire)
    def fire_event(self, e, level=None, node=None, force_warn_or_error_handling=False):
        if not force_warn_or_error_handling and unlogged(self, e, level):
            return None
        return fire(self, e, level, node, force_warn_or_error_handling)

    fire_event.drops_unlogged = True
    EventManager.fire_event = fire_event
    return True
