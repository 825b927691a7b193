"""A paged table model whose view goes away while a page is on its way: the fetch is
cancelled and nothing is emitted from the deleted model (no "Signal source has been
deleted" reported as a failed GUI task)."""

from __future__ import annotations

import asyncio
from operator import itemgetter
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from shiboken6 import isValid

from billclient.core.api import Page
from billclient.gui.models.columns import Column
from billclient.gui.models.table import PagedTableModel

from .conftest import Gui, until


def test_a_page_on_its_way_is_cancelled_when_the_model_is_deleted(gui: Gui) -> None:
    asked: list[str | None] = []
    release = asyncio.Event()
    tasks: list[asyncio.Task[Any]] = []

    async def fetch(cursor: str | None) -> Page[tuple[str]]:
        asked.append(cursor)
        await release.wait()
        return Page([("row",)], None)

    def run_task(coro: Any) -> asyncio.Task[Any]:
        tasks.append(asyncio.get_running_loop().create_task(coro))
        return tasks[-1]

    async def scenario() -> None:
        owner = QObject()  # the view the model belongs to
        model = PagedTableModel([Column.plain("Value", itemgetter(0))], fetch, run_task, owner)
        states: list[bool] = []
        model.loading_changed.connect(states.append)
        model.reload()
        await until(lambda: asked == [None], message="the first page asked for")
        assert model.loading and states == [True]

        owner.deleteLater()  # the view closes, the model with it
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert not isValid(model)
        await until(lambda: tasks[0].done(), message="the fetch to end")
        assert tasks[0].cancelled()  # not failed: no error to report
        release.set()
        await asyncio.sleep(0)
        assert states == [True]

    gui.run(scenario())
