meta = {
    "name": "budget-loop",
    "description": "Deepen a research question round by round until the token budget runs low",
    "whenToUse": "Open-ended investigation where you set the spend, not the number of rounds",
    "phases": [{"title": "Explore"}, {"title": "Synthesize"}],
}

LEADS = {
    "type": "object",
    "properties": {
        "findings": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
        "next_questions": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    },
    "required": ["findings", "next_questions"],
}

question = (args or {}).get("question", "Why do long-running agent workflows fail in production?")
reserve = (args or {}).get("reserve_tokens", 2000)
max_rounds = (args or {}).get("max_rounds", 4)

frontier = [question]
findings = []
rounds = 0
phase("Explore")
while frontier and rounds < max_rounds and budget.remaining() > reserve:
    rounds += 1
    results = await parallel(
        agent(f"Investigate: {q}", label=f"round {rounds}: {q[:30]}", schema=LEADS)
        for q in frontier[:4]
    )
    frontier = []
    for r in results:
        if r is None:
            continue
        findings.extend(r["findings"])
        frontier.extend(r["next_questions"])
    log(f"round {rounds}: {len(findings)} findings, {budget.spent()} tokens spent")

phase("Synthesize")
report = await agent("Synthesize these findings into five bullet points:\n" + "\n".join(findings),
                     label="synthesis")
return {"rounds": rounds, "findings": len(findings), "tokens": budget.spent(), "report": report}
