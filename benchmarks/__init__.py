"""The concurrency-limit benchmark suite: ``python -m benchmarks [--quick]``.

Layout: ``_harness`` (timing, machine facts, child processes, peak RSS), ``_workloads``
(the benchmark scripts, the fake agents, the two Python frontends), one ``bench_*`` module
per scenario, ``_report`` (targets, the markdown table, the README section) and
``_plots`` (matplotlib, optional). Each scenario runs in its own child process so that
peak memory, garbage and event-loop state never leak from one scenario into the next;
a scenario whose prerequisite is missing records ``{"status": "skipped", "reason": ...}``.
"""
