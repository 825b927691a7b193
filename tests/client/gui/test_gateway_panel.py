"""The session card's gateway panel against a real billing server and metering gateway:
a download saved with its progress shown, messages sent and listed, a stream playing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from billclient.core.gateway_client import GatewayState
from billclient.core.sessions import RunState
from billclient.gui.views.session_card import SessionCard
from billclient.gui.widgets.gateway_panel import GatewayPanel
from tests.client.gui.conftest import Gui, signed_in, until
from tests.support.gateway_site import FILES, GatewaySite

DATA = FILES["movie.bin"]  # "dl" grants 1,000,000 bytes at a time


@pytest.fixture
def site(gateway_site: GatewaySite) -> dict[str, Any]:
    """The shared billing server and gateway."""
    return {"server": gateway_site.server.url}


def test_download_messages_and_stream_in_session_cards(
    site: dict[str, Any], gui: Gui, home: Path, qtbot: QtBot, tmp_path: Path
) -> None:
    ctx = gui.context(home)
    gui.run(signed_in(ctx, [site["server"]], "gw"))

    def card(service_id: str) -> tuple[SessionCard, GatewayPanel]:
        service = gui.run(ctx.runner.service(service_id))
        run = gui.run(ctx.runner.start(service_id))
        made = SessionCard(ctx, service, run, "EUR")
        qtbot.addWidget(made)
        made.show()
        assert isinstance(made.gateway, GatewayPanel)
        return made, made.gateway

    download, panel = card("dl")
    panel.target_dir = tmp_path
    qtbot.keyClicks(panel.entry, "movie.bin")
    panel.button.click()
    gui.run(until(lambda: "Saved to" in panel.state.text(), 30, "the download"))
    assert (tmp_path / "movie.bin").read_bytes() == DATA
    assert panel.bar.value() == panel.bar.maximum()
    assert str(tmp_path / "movie.bin") in panel.state.text()
    gui.run(until(lambda: download.progress.state == RunState.ENDED, 10, "the end"))
    assert (download.progress.cause, download.progress.used_units) == ("service_done", len(DATA))

    messages, box = card("sms")

    def listed() -> list[str]:
        return [box.messages.item(i).text() for i in range(box.messages.count())]

    for text in ("hello", "again"):
        qtbot.keyClicks(box.entry, text)
        box.button.click()
        gui.run(until(lambda: listed()[-1:] == [text], 15, text))  # noqa: B023 - awaited here
    assert listed() == ["hello", "again"]
    assert box.entry.text() == ""
    gui.run(until(lambda: messages.progress.used_units == 2, 10, "two events metered"))
    gui.run(messages.run.stop("user"))

    stream, player = card("fast")
    gui.run(until(lambda: "playing" in player.state.text(), 15, "the stream"))
    assert player.last is not None and player.last.state is GatewayState.FLOWING
    gui.run(stream.run.stop("user"))
    gui.run(until(lambda: "ended" in player.state.text(), 10, "the stream's end"))
