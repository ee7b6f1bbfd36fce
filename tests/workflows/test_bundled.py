"""The bundled workflows (``flowdsl run @NAME``): they check, run, list, and fail cleanly."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import flowdsl
from flowdsl._cli import main
from flowdsl._durable._workflow_lookup import BUNDLED_DIR, bundled_names
from flowdsl._types import AgentRequest
from flowdsl.backends._agent_types import BUNDLED_AGENTS, AgentTypes
from flowdsl.backends._grants import DEFAULT_TOOLS, parse_grant
from flowdsl.backends._simulate import SimulateBackend
from flowdsl.testing import FunctionBackend

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ("audit", "research", "review")
GIT_BACKEND = "tests.workflows.git_backend:create"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, "run", *argv, "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def git(repo: Path, *argv: str) -> None:
    subprocess.run(["git", "-c", "user.name=flowdsl", "-c", "user.email=flowdsl@example.invalid",
                    "-c", "commit.gpgsign=false", *argv],
                   cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with one commit, as the current directory (where agents work)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "app.py").write_text("def add(a, b):\n    return a + b\n")
    git(repo, "add", "app.py")
    git(repo, "commit", "-q", "-m", "initial")
    monkeypatch.chdir(repo)
    monkeypatch.syspath_prepend(str(ROOT))  # tests.workflows.git_backend, from the repo
    return repo


def test_the_bundled_workflows_are_the_shipped_scripts():
    assert bundled_names() == list(BUNDLED)
    assert all((BUNDLED_DIR / f"{name}.flow.py").is_file() for name in BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_each_bundled_workflow_passes_check(capsys, name):
    code, out, _ = run_cli(capsys, "check", f"@{name}", "--json")
    assert code == 0
    info = json.loads(out)
    assert (info["ok"], info["name"], info["language"]) == (True, name, "python")
    assert info["description"]


@pytest.mark.parametrize("name", BUNDLED)
def test_every_agent_type_a_bundled_workflow_names_is_bundled_and_read_only(name):
    script = (BUNDLED_DIR / f"{name}.flow.py").read_text()
    types = AgentTypes(Path("/nonexistent"))  # no project or user definitions: the bundled
    for agent_type in set(re.findall(r'agent_type="([^"]+)"', script)):
        definition = types.get(agent_type)
        assert Path(definition.source).parent == BUNDLED_AGENTS
        assert definition.prompt
        assert definition.description
        grant = parse_grant(definition.tools, default_tools=DEFAULT_TOOLS, bash_allow=(),
                            where=definition.source)
        assert not grant.tools & {"edit", "write"}
        assert set(grant.bash_allow) <= {"git diff", "git status"}


def test_review_of_a_changed_tree_completes_on_simulate(capsys, repo):
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    data = run_json(capsys, "@review", "--backend", "simulate")
    assert data["status"] == "completed"
    assert data["agents"]["failed"] == 0
    result = data["result"]
    assert result["files_reviewed"]
    assert set(result) >= {"confirmed", "refuted", "unverified", "verdict"}


def test_review_reviews_the_files_git_reports(capsys, repo):
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    (repo / "new.py").write_text("import os\n")
    result = run_json(capsys, "@review", "--backend", GIT_BACKEND)["result"]
    assert result["files_reviewed"] == ["app.py", "new.py"]
    assert result["failed_reviews"] == []
    assert isinstance(result["verdict"], str)


def test_review_without_changes_spawns_no_reviewer(capsys, repo):
    data = run_json(capsys, "@review", "--backend", GIT_BACKEND)
    assert data["status"] == "completed"
    assert data["agents"]["total"] == 1  # the diff reader only
    assert data["agents"]["ok"] == 1
    assert data["result"]["files_reviewed"] == []
    assert "nothing to review" in data["result"]["verdict"]


def test_review_caps_the_files_at_max_files(capsys, repo):
    for name in ("a.py", "b.py", "c.py"):
        (repo / name).write_text("x = 1\n")
    result = run_json(capsys, "@review", "--backend", GIT_BACKEND,
                      "--args", '{"max_files": 2}')["result"]
    assert result["files_reviewed"] == ["a.py", "b.py"]
    assert result["skipped_files"] == ["c.py"]


def test_audit_completes_on_simulate(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = run_json(capsys, "@audit", "--backend", "simulate",
                    "--args", '{"focus": "security", "max_areas": 1}')
    assert data["status"] == "completed"
    assert data["result"]["focus"] == "security"
    assert len(data["result"]["areas"]) == 1


def test_research_completes_on_simulate(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = run_json(capsys, "@research", "--backend", "simulate",
                    "--args", '{"question": "Why is the sky blue?"}')
    assert data["status"] == "completed"
    assert isinstance(data["result"]["web_access"], bool)
    assert data["result"]["lenses"]


def test_research_without_a_question_fails_saying_how_to_ask(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "run", "@research", "--backend", "simulate")
    assert code == 1
    assert "needs a question" in err
    assert '--args \'{"question": "..."}\'' in err


def test_research_reports_when_no_researcher_had_web_access(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    simulate = SimulateBackend()

    async def no_web(request: AgentRequest) -> Any:
        if request.agent_type == "flowdsl-researcher":
            return {"answer": "Rayleigh scattering.", "web_access": False,
                    "claims": [{"claim": "c", "source": "own knowledge", "verified": False}],
                    "sources_note": "no web search or fetch tool: own knowledge only"}
        return await simulate.run(request)

    backend = FunctionBackend(no_web)
    result = flowdsl.run(BUNDLED_DIR / "research.flow.py", backend=backend,
                         args={"question": "Why is the sky blue?"})
    assert result.status == "completed"
    assert result.value["web_access"] is False
    assert all("no web search" in lens["sources_note"] for lens in result.value["lenses"])
    researchers = [r for r in backend.requests if r.agent_type == "flowdsl-researcher"]
    assert researchers
    assert all("sources_note" in r.prompt for r in researchers)
    [synthesis] = [r for r in backend.requests if r.label == "synthesis"]
    assert "no researcher had web access" in synthesis.prompt


def test_a_script_runs_a_bundled_workflow_by_at_name(capsys, script, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = script('return (await workflow("@research", {"question": "q?"}))["question"]')
    assert run_json(capsys, str(path), "--backend", "simulate")["result"] == "q?"


def test_workflows_lists_the_bundled_ones_with_their_descriptions(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "workflows")
    assert code == 0
    rows = [line.split(None, 2) for line in out.splitlines()]
    assert [(ref, source) for ref, source, _ in rows] == [
        ("@audit", "bundled"), ("@research", "bundled"), ("@review", "bundled")]
    assert rows[2][2].startswith("Adversarial review of the working tree's diff")
    code, out, _ = run_cli(capsys, "workflows", "--json")
    listed = json.loads(out)
    assert [(w["name"], w["ref"], w["source"]) for w in listed] == [
        (name, f"@{name}", "bundled") for name in BUNDLED]
    assert all(w["description"] for w in listed)


def test_a_saved_review_is_run_by_its_plain_name_and_the_bundled_one_with_at(
    capsys, tmp_path, monkeypatch,
):
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine.flow.py"
    mine.write_text('meta = {"name": "mine", "description": "mine"}\nreturn "saved"\n')
    assert run_cli(capsys, "save", str(mine), "review")[0] == 0
    assert run_json(capsys, "review", "--backend", "simulate")["result"] == "saved"
    _, out, _ = run_cli(capsys, "workflows", "--json")
    assert [(w["ref"], w["source"]) for w in json.loads(out)] == [
        ("review", "flowdsl"), ("@audit", "bundled"), ("@research", "bundled"),
        ("@review", "bundled")]
    _, out, _ = run_cli(capsys, "check", "@review", "--json")
    assert json.loads(out)["path"] == str(BUNDLED_DIR / "review.flow.py")


def test_an_unknown_bundled_name_is_a_one_line_usage_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "@nope").write_text("not a workflow")  # '@' never reads a file
    for command in ("run", "check"):
        code, out, err = run_cli(capsys, command, "@nope")
        assert code == 2
        assert out == ""
        assert err == ("flowdsl: error: no bundled workflow '@nope' (bundled: @audit, "
                       "@research, @review; saved workflows run by their plain name)\n")
