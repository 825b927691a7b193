"""Drives the real client through the AT-SPI accessibility tree, as a screen reader does.

Runs with the system interpreter (``/usr/bin/python3``, Debian's ``python3-pyatspi``)
inside a D-Bus session (``dbus-run-session``); ``test_atspi.py`` starts it. It starts
Xvfb and the client (the command after ``--``, with Qt's accessibility bridge forced
on), then only ever touches the client through the accessibility tree: it finds
controls by role and accessible name, sets text through the EditableText interface,
presses buttons through the Action interface, selects through the Selection
interface, and reads names and text. Each step prints one JSON line on stdout:
``{"step": ..., ...}``; a failure prints ``{"failed": ..., "tree": ...}`` and exits 1.
Not imported by the test suite (no project imports: another interpreter runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pyatspi  # type: ignore[import-not-found]

TEXT_ROLES = {"text", "entry", "password text"}


class Failed(Exception):
    """A step could not be done; the message says which."""


def say(**values: Any) -> None:
    sys.stdout.write(json.dumps(values) + "\n")
    sys.stdout.flush()


def wait(what: str, probe: Callable[[], Any], timeout: float) -> Any:
    """Poll ``probe`` until it answers something true (readiness, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = probe()
        except Exception:  # the tree changes under us (objects go away): look again
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise Failed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


# -- reading the tree --------------------------------------------------------------------


def walk(node: Any, depth: int = 0) -> Iterator[tuple[Any, int]]:
    yield node, depth
    try:
        count = node.childCount
    except Exception:
        return
    for index in range(count):
        try:
            child = node.getChildAtIndex(index)
        except Exception:
            continue
        if child is not None:
            yield from walk(child, depth + 1)


def states(node: Any) -> set[str]:
    state_set = node.getState()
    return {pyatspi.stateToString(state) for state in state_set.getStates()}


def text_of(node: Any) -> str:
    try:
        text = node.queryText()
    except NotImplementedError:
        return ""
    except Exception:
        return ""
    return str(text.getText(0, -1))


def showing(node: Any) -> bool:
    return "showing" in states(node)


def describe(node: Any) -> dict[str, Any]:
    try:
        box = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        extents = [box.x, box.y, box.width, box.height]
    except Exception:
        extents = None
    return {
        "role": node.getRoleName(),
        "name": node.name,
        "description": node.description,
        "text": text_of(node),
        "states": sorted(states(node)),
        "extents": extents,
    }


def dump(root: Any) -> list[str]:
    lines = []
    for node, depth in walk(root):
        info = describe(node)
        flags = "S" if "showing" in info["states"] else "-"
        lines.append(
            f"{'  ' * depth}{flags} {info['role']} name={info['name']!r} "
            f"text={info['text'][:60]!r} desc={info['description'][:40]!r}"
        )
    return lines


def find_all(root: Any, role: str | set[str], name: Callable[[str], bool]) -> list[Any]:
    roles = {role} if isinstance(role, str) else role
    return [
        node
        for node, _depth in walk(root)
        if node.getRoleName() in roles and name(node.name or "") and showing(node)
    ]


def find(
    root: Any, role: str | set[str], name: str | Callable[[str], bool], timeout: float = 30
) -> Any:
    match = (lambda text: text == name) if isinstance(name, str) else name
    return wait(
        f"a showing {role} named {name if isinstance(name, str) else 'as wanted'}",
        lambda: next(iter(find_all(root, role, match)), None),
        timeout,
    )


def press(node: Any) -> None:
    action = node.queryAction()
    names = [action.getName(i) for i in range(action.nActions)]
    for wanted in ("Press", "press", "click", "activate", "Toggle", "toggle"):
        if wanted in names:
            action.doAction(names.index(wanted))
            return
    action.doAction(0)


def type_into(node: Any, text: str) -> None:
    node.queryEditableText().setTextContents(text)


def application(name: str, timeout: float) -> Any:
    desktop = pyatspi.Registry.getDesktop(0)

    def probe() -> Any:
        for index in range(desktop.childCount):
            app = desktop.getChildAtIndex(index)
            if app is not None and app.name == name and app.childCount > 0:
                return app
        return None

    return wait(f"the application {name!r} on the accessibility bus", probe, timeout)


def window_of(app: Any, role: str | set[str], name: str | None = None) -> Any:
    roles = {role} if isinstance(role, str) else role
    for index in range(app.childCount):
        child = app.getChildAtIndex(index)
        if child is None or child.getRoleName() not in roles or not showing(child):
            continue
        if name is None or child.name == name:
            return child
    return None


# -- the checks over the whole tree --------------------------------------------------------


def label_problems(root: Any) -> list[str]:
    """Labels that show a value their accessible name hides, and hidden things that are
    exposed as showing."""
    problems = []
    for node, _depth in walk(root):
        if not showing(node):
            continue
        info = describe(node)
        extents = info["extents"]
        if extents is not None and (extents[2] <= 0 or extents[3] <= 0):
            problems.append(f"showing but has no size: {info['role']} {info['name']!r}")
        if info["role"] != "label":
            continue
        text, name = " ".join(info["text"].split()), " ".join((info["name"] or "").split())
        if text and name and text not in name:
            problems.append(f"label named {name!r} hides its text {text!r}")
    return problems


def hidden_exposed(root: Any, texts: list[str]) -> list[str]:
    """Nodes whose text is one of ``texts`` (texts the window does not show now) that
    are exposed as showing."""
    found = []
    for node, _depth in walk(root):
        content = text_of(node) or (node.name or "")
        if any(text in content for text in texts) and showing(node):
            found.append(f"{node.getRoleName()} {content[:60]!r} is exposed as showing")
    return found


# -- the scenario ------------------------------------------------------------------------


def scenario(app: Any, args: argparse.Namespace) -> None:
    dialog = wait("the sign-in dialog", lambda: window_of(app, "dialog", "Sign in"), 60)
    say(step="sign-in dialog", name=dialog.name)
    servers = find(dialog, TEXT_ROLES, "Server addresses")
    type_into(servers, args.server)
    type_into(find(dialog, TEXT_ROLES, "Login"), args.login)
    password = find(dialog, TEXT_ROLES, "Password")
    type_into(password, args.password)
    say(step="typed", server=text_of(servers), password_role=password.getRoleName())
    press(find(dialog, "push button", "Sign in"))

    frame = wait("the main window", lambda: window_of(app, "frame"), 60)
    balance = find(frame, "label", lambda n: n.startswith("Available balance: "), 60)
    balance_name = balance.name
    say(step="balance", name=balance_name)

    problems = label_problems(frame)
    hidden = hidden_exposed(frame, [args.hidden_text])
    labels = [node.name for node in find_all(frame, "label", bool)]
    say(step="dashboard tree", problems=problems, hidden=hidden, labels=labels)

    navigation = find(frame, {"list", "list box"}, "Navigation")
    items = [navigation.getChildAtIndex(i) for i in range(navigation.childCount)]
    names = [item.name for item in items if item is not None]
    say(
        step="navigation",
        role=navigation.getRoleName(),
        items=names,
        item_roles=sorted({item.getRoleName() for item in items if item is not None}),
    )
    navigation.querySelection().selectChild(names.index("Services"))
    start = find(frame, "push button", f"Start {args.service_name}", 30)
    say(step="services", start=start.name)
    press(start)
    advice = wait("the advice of charge", lambda: window_of(app, "dialog", "Advice of charge"), 30)
    go = find(advice, "push button", f"Start {args.service_name}")
    wait("the quote", lambda: "enabled" in states(go) and "sensitive" in states(go), 30)
    press(go)
    stop = find(frame, "push button", f"Stop {args.service_name}", 30)
    charge = find(frame, "label", lambda n: n.startswith("Charge so far: "), 30)
    say(step="session running", charge=charge.name)
    wait(
        "a charge", lambda: not find_all(frame, "label", lambda n: n == "Charge so far: €0.00"), 30
    )
    press(stop)
    ended = find(frame, "label", lambda n: "ended" in n.lower() or "stopped" in n.lower(), 45)
    say(step="session ended", note=ended.name or text_of(ended))

    navigation.querySelection().selectChild(names.index("History"))
    top_up = find(frame, "push button", "Top up the balance", 30)
    press(top_up)
    topup = wait("the top-up dialog", lambda: window_of(app, "dialog", "Top up the balance"), 30)
    type_into(find(topup, TEXT_ROLES, "Voucher code"), args.voucher)
    press(find(topup, "push button", "Top up"))
    outcome = find(topup, "label", lambda n: " added. Available now: " in n, 45)
    say(step="voucher", outcome=outcome.name)
    press(find(topup, "push button", "Close"))
    navigation.querySelection().selectChild(names.index("Dashboard"))
    before = str(balance_name)
    after = wait(
        "the new balance",
        lambda: next(
            (
                label
                for label in find_all(frame, "label", lambda n: n.startswith("Available balance: "))
                if label.name != before
            ),
            None,
        ),
        45,
    )
    say(step="new balance", name=after.name, text=text_of(after))

    navigation.querySelection().selectChild(names.index("History"))
    table = find(frame, {"table", "tree table"}, "Charge records", 30)
    wait("a charge record", lambda: table.childCount > 0 and table.queryTable().nRows > 0, 45)
    grid = table.queryTable()
    columns = [grid.getColumnDescription(c) for c in range(grid.nColumns)]
    charged = grid.getAccessibleAt(0, columns.index("Charged"))
    say(step="newest record", cell=charged.name, columns=columns)
    explain = find(frame, "push button", "Explain the selected charge record")

    def explained() -> Any:
        # as a person would: choose the newest record and ask; again if a reload of the
        # list (new records) came between the two and the application asked for a choice
        table.querySelection().selectChild(grid.getIndexAt(0, 0))
        press(explain)
        return wait("the record's explanation", lambda: window_of(app, "dialog"), 10)

    detail = wait("the charge record", lambda: explained(), 45)
    amount = charged.name.split(": ", 1)[1]
    shown = find(detail, "label", lambda n: amount in n, 30)
    say(step="charge record", dialog=detail.name, amount=amount, label=shown.name)
    say(step="detail tree", problems=label_problems(detail))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--voucher", required=True)
    parser.add_argument("--service-name", required=True)
    parser.add_argument("--hidden-text", required=True)
    parser.add_argument("--app-name", default="billclient")
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("client", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [part for part in args.client if part != "--"]

    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    client = None
    try:
        with os.fdopen(read) as display_pipe:
            display = display_pipe.readline().strip()
        if not display:
            raise Failed("Xvfb did not start")
        environment = dict(os.environ)
        environment.update(
            DISPLAY=f":{display}",
            QT_QPA_PLATFORM="xcb",
            QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
            QT_ACCESSIBILITY="1",
        )
        os.environ["DISPLAY"] = f":{display}"
        client = subprocess.Popen(command, env=environment, start_new_session=True)
        app = application(args.app_name, args.timeout)
        say(step="registered", name=app.name, toolkit=app.toolkitName)
        try:
            scenario(app, args)
        except Failed as error:
            tree = dump(app)
            say(failed=str(error), tree=tree[:2000])
            return 1
        say(step="done")
        return 0
    except Failed as error:
        say(failed=str(error), tree=[])
        return 1
    finally:
        for process in (client, xvfb):
            if process is not None and process.poll() is None:
                if process is client:
                    os.killpg(process.pid, signal.SIGTERM)
                else:
                    process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


if __name__ == "__main__":
    sys.exit(main())
