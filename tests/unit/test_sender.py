"""Who holds a delivery claim: a process on this host that has died can be told apart."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from bot.runtime.cycle import SENDER, sender_is_gone


def test_this_process_is_not_gone() -> None:
    assert f"{socket.gethostname()}:{os.getpid()}" == SENDER
    assert not sender_is_gone(SENDER)


def test_a_finished_process_on_this_host_is_gone() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sender_is_gone(f"{socket.gethostname()}:{int(child.stdout)}")


def test_a_live_process_or_another_host_is_not_judged_gone() -> None:
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
        try:
            assert not sender_is_gone(f"{socket.gethostname()}:{child.pid}")
        finally:
            child.kill()
    assert not sender_is_gone("some-other-host:1")
    assert not sender_is_gone("garbage")
