meta = {
    "name": "review-fanout",
    "description": "Review every file in parallel, cross-check the risky ones, then summarize",
    "whenToUse": "A quick multi-file code review before merging a branch",
    "phases": [
        {"title": "Review", "detail": "one reviewer per file"},
        {"title": "Cross-check", "detail": "a second opinion on files flagged risky"},
        {"title": "Summarize", "model": "smart"},
    ],
}

FINDING = {
    "type": "object",
    "properties": {
        "risk": {"type": "string", "enum": ["low", "medium", "high"]},
        "issues": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
    },
    "required": ["risk", "issues", "score"],
}

files = (args or {}).get("files") or ["src/app.py", "src/db.py", "src/auth.py", "src/api.py"]

phase("Review")
reviews = await parallel(
    agent(f"Review {path} for bugs, security problems and unclear code.", label=path, schema=FINDING)
    for path in files
)
by_file = {path: r for path, r in zip(files, reviews) if r is not None}
log(f"reviewed {len(by_file)} of {len(files)} files")

phase("Cross-check")
risky = [path for path, r in by_file.items() if r["risk"] != "low"]
second = await parallel(
    agent(f"Second opinion on {path}. First reviewer said: {by_file[path]['issues']}",
          label=f"recheck {path}", schema=FINDING)
    for path in risky
)
confirmed = [path for path, r in zip(risky, second) if r is not None and r["risk"] != "low"]

phase("Summarize")
summary = await agent(
    "Write a merge recommendation. Confirmed risky files: "
    + (", ".join(confirmed) or "none")
    + f". Scores: {[(p, r['score']) for p, r in sorted(by_file.items())]}",
    label="summary",
)
return {
    "summary": summary,
    "risky": confirmed,
    "failed": [path for path, r in zip(files, reviews) if r is None],
    "mean_score": round(sum(r["score"] for r in by_file.values()) / max(1, len(by_file)), 2),
}
