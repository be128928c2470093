"""scripts/serve.sh as an operator runs it: links follow HOST/PORT, a warm start skips the
install, and SIGTERM stops the web server and the worker as Ctrl+C does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "serve.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(instance: Path, port: int) -> tuple[subprocess.Popen, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASE_URL", "DATABASE_URL", "REDIS_URL",
                                                                    "MAIL_", "SECRET_KEY", "FLASK_"))}
    env.update(HOST="127.0.0.1", PORT=str(port), INSTANCE_PATH=str(instance),
               PYTHON=str(PROJECT_ROOT / ".venv" / "bin" / "python"))
    process = subprocess.Popen(["bash", str(SCRIPT)], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if line.startswith("Serving on"):
            break
    for _ in range(100):  # gunicorn binds just after the line above
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process, lines
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("serve.sh did not start:\n" + "\n".join(lines))


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.skipif(not (PROJECT_ROOT / ".venv" / "bin" / "gunicorn").exists(), reason="no .venv with gunicorn")
def test_serve_links_to_its_own_port_skips_reinstalling_and_stops_everything_on_sigterm(tmp_path):
    port = _free_port()
    process, lines = _start(tmp_path / "instance", port)
    try:
        output = "\n".join(lines)
        assert f"Sample panel: http://127.0.0.1:{port}/events/parliamentary-solidarity" in output
        assert f"links in emails: http://127.0.0.1:{port}" in output
    finally:
        process.send_signal(signal.SIGTERM)  # to the script only, as systemd or docker stop would
        process.wait(timeout=60)
        for _ in range(100):
            if not _group_alive(process.pid):
                break
            time.sleep(0.2)
        alive = _group_alive(process.pid)
        if alive:
            os.killpg(process.pid, signal.SIGKILL)
    assert not alive, "gunicorn or the worker outlived serve.sh after SIGTERM"
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)

    # Warm start: nothing changed, nothing reinstalled.
    process, lines = _start(tmp_path / "instance", port)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert "Dependencies unchanged since the last start: not reinstalling" in lines
