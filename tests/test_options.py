"""One RunOptions: defaults < project configuration < explicit arguments, for every entry point."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import anyio
import pytest

import flowdsl
from flowdsl._cli import main
from flowdsl._options import RunOptions
from flowdsl.errors import UsageError

# -- precedence ---------------------------------------------------------------------------


def test_defaults_without_any_configuration(tmp_path):
    options = RunOptions.resolve(tmp_path)
    assert (options.concurrency, options.max_agents, options.agent_timeout) == (16, 1000, 600.0)
    assert options.budget is None
    assert options.run_timeout is None
    assert options.cwd == str(tmp_path.resolve())


def test_the_project_configuration_beats_the_defaults(tmp_path):
    (tmp_path / "flowdsl.toml").write_text(
        "concurrency = 3\nmax_agents = 7\nbudget = 500\nagent_timeout = 2\nrun_timeout = 9\n")
    options = RunOptions.resolve(tmp_path)
    assert (options.concurrency, options.max_agents, options.budget) == (3, 7, 500)
    assert (options.agent_timeout, options.run_timeout) == (2.0, 9.0)


def test_explicit_arguments_beat_the_configuration(tmp_path):
    (tmp_path / "flowdsl.toml").write_text("concurrency = 3\nmodel = 'from-config'\n")
    options = RunOptions.resolve(tmp_path, concurrency=5, model=None)
    assert options.concurrency == 5
    assert options.model == "from-config"  # None means "not given"


def test_a_relative_configured_store_is_relative_to_the_configuration_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.flowdsl]\nstore = 'runs'\n")
    (tmp_path / "sub").mkdir()
    assert RunOptions.resolve(tmp_path / "sub").store == str(tmp_path / "runs")


@pytest.mark.parametrize(("knob", "value", "message"), [
    ("concurrency", 0, "concurrency must be at least 1"),
    ("budget", -1, "budget must be >= 0"),
    ("agent_timeout", 0, "agent timeout must be > 0"),
    ("concurrency", "8", "must be an integer"),
    ("colour", "blue", "unknown run option"),
])
def test_bad_values_are_one_line_usage_errors(tmp_path, knob, value, message):
    with pytest.raises(UsageError, match=message):
        RunOptions.resolve(tmp_path, **{knob: value})


def test_a_bad_configured_value_names_its_file(tmp_path):
    (tmp_path / "flowdsl.toml").write_text("budget = -5\n")
    with pytest.raises(UsageError, match=r"flowdsl\.toml: budget must be >= 0"):
        RunOptions.resolve(tmp_path)


def test_every_field_but_the_configuration_is_a_stored_knob():
    from dataclasses import fields

    from flowdsl._options import _KNOBS

    assert set(_KNOBS) == {f.name for f in fields(RunOptions)} - {"config"}


def test_stored_options_round_trip_over_the_run_directory(tmp_path):
    options = RunOptions.resolve(tmp_path, budget=10, backend="simulate", base_url="http://x")
    assert RunOptions.from_json(json.loads(json.dumps(options.to_json()))) == options


def test_rows_written_before_run_options_keep_their_base_url(tmp_path):
    stored = {"backend": "openai", "backend_options": {"base_url": "http://h/v1"},
              "cwd": str(tmp_path)}
    assert RunOptions.from_json(stored).base_url == "http://h/v1"


# -- the same configuration through every entry point --------------------------------------

PROBE_BACKEND = '''
import anyio
from pathlib import Path
from flowdsl import AgentResult, Usage

class Probe:
    """Reports the most agents it saw running at once; "slow" sleeps; "gate" fails once."""

    def __init__(self):
        self.running = self.peak = 0

    async def run(self, request):
        if request.prompt == "gate":
            marker = Path("fail-once")
            if marker.exists():
                marker.unlink()
                raise RuntimeError("the gate fails once")
            return AgentResult(output="open", usage=Usage(input_tokens=1))
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await anyio.sleep(5 if request.prompt == "slow" else 0.05)
        finally:
            self.running -= 1
        return AgentResult(output=self.peak, usage=Usage(input_tokens=1))

def make():
    return Probe()
'''

PROBE_SCRIPT = '''meta = {"name": "probe", "description": "reports the limits it runs under"}
if await agent("gate") is None:
    raise ValueError("the gate is closed")
peaks = await parallel(agent(f"p{i}") for i in range(6))
slow = await agent("slow")
started = 0
try:
    while True:
        await agent(f"count {started}")
        started += 1
except AgentLimitExceeded:
    pass
return {"budget": budget.total, "peak": max(peaks), "slow": slow, "more": started}
'''

EXPECTED = {"budget": 100000, "peak": 2, "slow": None, "more": 4}
"""concurrency 2, budget 100000, agent_timeout 0.5 s (the slow agent times out), and
max_agents 12: 8 agents ran before the counting loop (gate, six, slow)."""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "probe_backend.py").write_text(PROBE_BACKEND)
    (tmp_path / "probe.flow.py").write_text(PROBE_SCRIPT)
    (tmp_path / "flowdsl.toml").write_text(textwrap.dedent("""\
        backend = "probe_backend:make"
        concurrency = 2
        max_agents = 12
        budget = 100000
        agent_timeout = 0.5
        store = ".flowdsl"
        """))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWDSL_STORE", raising=False)
    return tmp_path


def test_flowdsl_run_honours_the_project_configuration(project):
    result = flowdsl.run(project / "probe.flow.py")
    assert result.status == "completed", result.error
    assert result.value == EXPECTED


def test_run_async_honours_the_project_configuration(project):
    result = anyio.run(lambda: flowdsl.run_async(project / "probe.flow.py"))
    assert result.value == EXPECTED


def test_the_cli_honours_the_project_configuration(project, capsys):
    assert main(["run", "probe.flow.py", "--json"]) == 3  # a failed and a refused agent
    assert json.loads(capsys.readouterr().out)["result"] == EXPECTED


def test_a_background_worker_honours_the_project_configuration(project, capsys):
    assert main(["run", "probe.flow.py", "--background", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["runs", "result", run_id, "--wait", "--timeout", "60", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["result"] == EXPECTED


def test_resume_honours_the_project_configuration(project, capsys):
    (project / "fail-once").touch()
    assert main(["run", "probe.flow.py", "--json"]) == 1
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    result = flowdsl.resume(run_id, store=project / ".flowdsl")
    assert result.status == "completed", result.error
    assert result.value == EXPECTED


def test_the_stored_run_keeps_the_options_it_started_with(project, capsys):
    assert main(["run", "probe.flow.py", "--json", "--concurrency", "1"]) == 3
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    with flowdsl.Store.open(project / ".flowdsl") as store:
        stored = RunOptions.from_json(store.get_run(run_id).options)
    assert (stored.concurrency, stored.max_agents, stored.budget) == (1, 12, 100000)
    assert stored.cwd == str(Path(project).resolve())
