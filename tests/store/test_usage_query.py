"""``usage_groups``: journal usage summed by the database per (run, phase, model)."""

from __future__ import annotations

import time

from flowdsl._store import Store, usage_groups
from flowdsl._types import AgentRecord, AgentRequest, Usage


def record(prompt: str, phase: str | None, model: str | None, status: str = "ok", *,
           tokens: int = 10, cost: float = 0.0, unpriced: int = 0) -> AgentRecord:
    return AgentRecord(request=AgentRequest(prompt=prompt, phase=phase, model=model),
                       status=status, output="x",  # type: ignore[arg-type]
                       usage=Usage(input_tokens=tokens, output_tokens=1, cost_usd=cost,
                                   unpriced_tokens=unpriced))


def new_run(store: Store, name: str) -> str:
    return store.create_run(name=name, script_path="t.flow.py", script_text="", args=None,
                            options={}, background=False)


def test_groups_sum_each_phase_and_model_of_each_run(store_at: str) -> None:
    with Store.open(store_at) as store:
        first, second = new_run(store, "a"), new_run(store, "b")
        store.append_journal_batch(first, [
            ("1", record("p1", "Scan", None, tokens=5, cost=0.5)),
            ("2", record("p2", "Scan", None, "failed", tokens=7, cost=0.25)),
            ("3", record("p3", "Judge", "local", tokens=11, unpriced=12)),
        ])
        store.append_journal_batch(second, [("1", record("p1", None, "gpt", tokens=3))])
        groups = {(g.run_id, g.phase, g.model): g for g in usage_groups(store)}
        scan = groups[(first, "Scan", None)]
        assert (scan.agents, scan.not_ok, scan.usage.input_tokens) == (2, 1, 12)
        assert scan.usage.cost_usd == 0.75
        judge = groups[(first, "Judge", "local")]
        assert judge.usage.unpriced_tokens == 12
        assert judge.usage.known_cost() is None
        assert set(groups) == {(first, "Scan", None), (first, "Judge", "local"),
                               (second, None, "gpt")}
        assert [g.run_id for g in usage_groups(store, run_id=second)] == [second]


def test_since_keeps_runs_created_from_then(store_at: str) -> None:
    with Store.open(store_at) as store:
        old = new_run(store, "old")
        store.append_journal_batch(old, [("1", record("p", None, None))])
        cut = time.time()
        time.sleep(0.01)
        new = new_run(store, "new")
        store.append_journal_batch(new, [("1", record("p", None, None))])
        assert [g.run_id for g in usage_groups(store, since=cut)] == [new]
        assert usage_groups(store, since=time.time() + 60) == []
