"""A setting an operator got wrong, or a database that is down, is one line, not a traceback."""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_FILES = ("hunter/settings.py", "hunter/gunicorn.conf.py", "hunter/sentry.py")


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUNTER_ENV": "development", **environment}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DEBUG", "flase", "expected one of 0, 1, false, no, off, on, true, yes"),
        ("HUNTER_UPLOAD_MAX_BYTES", "500", "expected at least 1024"),
        ("HUNTER_DNS_NAMESERVERS", "notanip", "expected an IP address, optionally with :port"),
    ],
)
@pytest.mark.parametrize("command", ["check", "runstack"])
def test_a_malformed_setting_stops_every_command_with_one_line_naming_it(
    command: str, variable: str, value: str, expected: str
) -> None:
    done = manage(command, **{variable: value})

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Hunter cannot start: {variable}='{value}' is not valid: {expected}."
    ]
    assert done.stdout == ""


@pytest.mark.parametrize(
    "command", [("migrate",), ("runstack", "--setup-only"), ("rescan", "--all")]
)
def test_an_unreachable_database_stops_commands_with_one_line_naming_it(
    command: tuple[str, ...],
) -> None:
    port = closed_port()
    database_url = f"postgres://hunter:s3cret@127.0.0.1:{port}/hunter"

    done = manage(*command, DATABASE_URL=database_url)

    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(
        f"Hunter cannot reach the database (127.0.0.1:{port}/hunter, from DATABASE_URL): "
    )
    assert "s3cret" not in line


def test_traceback_flag_still_shows_the_whole_story() -> None:
    done = manage("check", "--traceback", DEBUG="flase")

    assert done.returncode != 0
    assert "Traceback" in done.stderr


def setting_ranges() -> dict[str, dict[str, float]]:
    """Every env_int/env_float setting with a minimum or maximum, read from the source."""
    ranges: dict[str, dict[str, float]] = {}
    for name in SETTINGS_FILES:
        for node in ast.walk(ast.parse((BASE_DIR / name).read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id not in ("env_int", "env_float") or not node.args:
                continue
            bounds = {
                str(keyword.arg): constant(keyword.value)
                for keyword in node.keywords
                if keyword.arg in ("minimum", "maximum")
            }
            if bounds and isinstance(node.args[0], ast.Constant):
                ranges[str(node.args[0].value)] = bounds
    return ranges


def constant(node: ast.expr) -> float:
    # Bounds are literals or arithmetic on literals (20 * 1024 * 1024, 1024**3).
    code = compile(ast.Expression(node), "<bound>", "eval")
    return float(eval(code, {"__builtins__": {}}))  # noqa: S307


def written(number: float) -> str:
    return str(int(number)) if number.is_integer() else f"{number:g}"


def test_the_readme_gives_the_allowed_range_of_every_number_setting() -> None:
    readme = (BASE_DIR / "README.md").read_text()
    missing = []
    for variable, bounds in setting_ranges().items():
        row = re.search(rf"^\| `{variable}` \|.*$", readme, flags=re.MULTILINE)
        low = written(bounds["minimum"])
        wanted = f"Minimum {low}."
        if "maximum" in bounds:
            wanted = f"Allowed: {low} to {written(bounds['maximum'])}."
        if row is None or wanted not in row.group(0):
            missing.append(f"{variable}: {wanted}")
    assert missing == []
