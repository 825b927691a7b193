"""Metered sessions run by this client: the runner, one run's loop, its pure state
machine and the progress it publishes.

Modules: ``runner`` (:class:`SessionRunner`, one per profile: start, quote, recover,
``running()``, ``stop_all()``), ``running`` (:class:`RunningSession`, the I/O loop of
one run), ``machine`` (:class:`RunMachine`, the pure decisions), ``progress``
(:class:`RunProgress` and :class:`RunState`, what ``Topic.RUN`` carries).
"""

from .progress import RunProgress, RunState
from .runner import SessionRunner, runner_for
from .running import RunningSession

__all__ = ["RunProgress", "RunState", "RunningSession", "SessionRunner", "runner_for"]
