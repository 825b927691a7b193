"""Record tables fit their columns: each but the last to its contents (capped), the last
takes the room left; one long text never makes the whole table scroll sideways."""

from __future__ import annotations

from operator import itemgetter

import pytest
from PySide6.QtWidgets import QApplication

from billclient.gui.models.columns import Column
from billclient.gui.models.table import ListTableModel
from billclient.gui.widgets.record_table import MAX_COLUMN_WIDTH, RecordTable

NOTE = "a note far longer than any window is wide " * 8


def _table(qapp: QApplication, row: tuple[str, ...]) -> RecordTable:
    """A shown table of one row (one column per value), its columns fitted."""
    columns = [Column.plain(f"Column {n}", itemgetter(n)) for n in range(len(row))]
    model = ListTableModel(columns)
    model.set_items([row])
    table = RecordTable(model, "Records")
    table.resize(520, 300)
    table.show()
    qapp.processEvents()
    table.fit_columns()
    qapp.processEvents()
    return table


def _sizes(table: RecordTable) -> list[int]:
    header = table.view.horizontalHeader()
    return [header.sectionSize(column) for column in range(header.count())]


@pytest.mark.parametrize(
    "row",
    [("2026-12-06 11:00", NOTE), ("2026-12-06 11:00", "ref-" + "x" * 120, "x" * 300)],
    ids=["two columns", "three columns"],
)
def test_the_last_column_takes_the_room_left_without_a_sideways_scroll(
    qapp: QApplication, row: tuple[str, ...]
) -> None:
    table = _table(qapp, row)
    sizes = _sizes(table)
    assert sizes[0] == table.view.sizeHintForColumn(0)  # sized to its contents
    assert all(size <= MAX_COLUMN_WIDTH for size in sizes[:-1])  # a long one capped
    # the last text is cut with "…" in the room left rather than widening the table
    assert sum(sizes) == table.view.viewport().width()
    assert table.view.horizontalScrollBar().maximum() == 0
    table.close()


def test_short_contents_leave_the_room_to_the_last_column(qapp: QApplication) -> None:
    table = _table(qapp, ("2026-12-06", "r1", "ok"))
    sizes = _sizes(table)
    assert sizes[0] < MAX_COLUMN_WIDTH and sizes[1] < MAX_COLUMN_WIDTH
    assert sum(sizes) == table.view.viewport().width()  # the last one reaches the edge
    table.close()
