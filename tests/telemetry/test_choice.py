"""Whether a run is traced: ``--otel`` / ``--no-otel`` > the ``otel`` key > an OTLP endpoint
in the environment (``flowdsl._config.otel_choice`` over ``RunOptions.resolve``); what is
stored with the run; and that an untraced run loads no OpenTelemetry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowdsl._config import otel_choice
from flowdsl._options import RunOptions
from flowdsl.errors import UsageError

ENDPOINT = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://cloud.langfuse.com/api/public/otel"}
TRACES = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}


@pytest.mark.parametrize(("flag", "key", "env", "choice"), [
    (None, None, {}, "off"),
    (None, None, ENDPOINT, "auto"),
    (None, None, TRACES, "auto"),
    (None, None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "  "}, "off"),
    (None, None, {"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=x"}, "off"),
    (None, "true", {}, "on"),
    (None, "false", ENDPOINT, "off"),
    (True, None, {}, "on"),
    (True, "false", {}, "on"),
    (False, "true", ENDPOINT, "off"),
    (False, None, ENDPOINT, "off"),
])
def test_the_flag_beats_the_key_beats_the_environment(
        tmp_path: Path, flag: bool | None, key: str | None, env: dict[str, str],
        choice: str) -> None:
    if key is not None:
        (tmp_path / "flowdsl.toml").write_text(f"otel = {key}\n", encoding="utf-8")
    options = RunOptions.resolve(tmp_path, otel=flag)
    assert otel_choice(options.otel, env) == choice


def test_only_a_choice_is_stored_with_the_run_not_the_environment(tmp_path: Path) -> None:
    assert "otel" not in RunOptions.resolve(tmp_path).to_json()
    assert RunOptions.resolve(tmp_path, otel=False).to_json()["otel"] is False
    stored = RunOptions.resolve(tmp_path, otel=True).to_json()
    assert RunOptions.from_json(stored).otel is True


def test_a_bad_otel_key_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "flowdsl.toml").write_text('otel = "yes"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"flowdsl.toml: flowdsl key 'otel' must be bool"):
        RunOptions.resolve(tmp_path)


def test_otel_is_a_keyword_of_the_python_api(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="must be true or false"):
        RunOptions.resolve(tmp_path, otel="yes")


PROBE = """\
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["flowdsl", *sys.argv[2:]]
from flowdsl._cli import entry
entry()
"""


def test_an_untraced_run_imports_no_opentelemetry(tmp_path: Path) -> None:
    (tmp_path / "x.flow.py").write_text(
        'meta = {"name": "n", "description": "d"}\nreturn await agent("hi")\n',
        encoding="utf-8")
    out = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    proc = subprocess.run([sys.executable, "-c", PROBE, str(out), "run", "x.flow.py",
                           "--backend", "simulate", "--json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    modules = json.loads(out.read_text(encoding="utf-8"))
    assert "flowdsl._runtime" in modules  # it did run
    assert [m for m in modules if m.startswith(("opentelemetry", "flowdsl._telemetry"))] == []
