meta = {
    "name": "review",
    "description": "Adversarial review of the working tree's diff: a reviewer per changed file, "
                   "a verifier per finding that tries to refute it, then a verdict",
    "whenToUse": "Before committing or merging: real problems in what changed, each one checked",
    "phases": [
        {"title": "Read diff", "detail": "list the changed files"},
        {"title": "Review", "detail": "one reviewer per changed file"},
        {"title": "Verify", "detail": "one verifier per finding tries to refute it"},
        {"title": "Verdict"},
    ],
}

CHANGES = {
    "type": "object",
    "properties": {
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "summary": {"type": "string"}},
                "required": ["path", "summary"],
            },
        },
        "note": {"type": "string"},
    },
    "required": ["files", "note"],
}
SEVERITIES = ["critical", "high", "medium", "low"]
FINDING = {
    "type": "object",
    "properties": {
        "file": {"type": "string"},
        "line": {"type": "integer", "minimum": 0},
        "severity": {"enum": SEVERITIES},
        "claim": {"type": "string"},
        "evidence": {"type": "string"},
    },
    "required": ["file", "line", "severity", "claim", "evidence"],
}
FINDINGS = {
    "type": "object",
    "properties": {"findings": {"type": "array", "items": FINDING, "maxItems": 8}},
    "required": ["findings"],
}
VERDICT = {
    "type": "object",
    "properties": {"verdict": {"enum": ["confirmed", "refuted"]}, "reason": {"type": "string"}},
    "required": ["verdict", "reason"],
}

base = (args or {}).get("base", "HEAD")
paths = (args or {}).get("paths") or []
max_files = (args or {}).get("max_files", 30)


def describe(finding):
    return (f"{finding['file']}:{finding['line']} [{finding['severity']}] {finding['claim']}\n"
            f"Evidence: {finding['evidence']}")


phase("Read diff")
scope = f" Only consider these paths: {', '.join(paths)}." if paths else ""
changes = await agent(
    f"List the files changed in the working tree against `{base}` (staged, unstaged and "
    f"untracked), each with a one-line summary of the change.{scope}",
    label="changed files", agent_type="flowdsl-diff-reader", schema=CHANGES,
)
if changes is None:
    raise RuntimeError("the diff reader failed: there is no list of changed files to review")
files = changes["files"][:max_files]
if not files:
    note = f" ({changes['note']})" if changes["note"] else ""
    return {"base": base, "files_reviewed": [], "failed_reviews": [], "skipped_files": [],
            "confirmed": [], "refuted": 0, "unverified": [],
            "verdict": f"No changes against {base}: nothing to review.{note}"}
skipped = [change["path"] for change in changes["files"][max_files:]]
if skipped:
    log(f"reviewing the first {max_files} of {len(changes['files'])} changed files")


# Each file flows on its own: its findings are verified as soon as its review is in.
async def review(prev, change, index):
    return await agent(
        f"Review the change to `{change['path']}` against `{base}` "
        f"(`git diff {base} -- {change['path']}`). Summary: {change['summary']}. "
        "Report only real problems the change introduces or exposes, each with its line "
        "and the code that proves it.",
        label=f"review {change['path']}", phase="Review",
        agent_type="flowdsl-reviewer", schema=FINDINGS, max_turns=25,
    )


async def verify(found, change, index):
    if found is None:  # the reviewer failed: nothing to verify
        return None
    verdicts = await parallel(
        agent(f"Try to refute this code review finding. Read the code yourself.\n"
              f"{describe(finding)}",
              label=f"verify {finding['file']}:{finding['line']}", phase="Verify",
              agent_type="flowdsl-verifier", schema=VERDICT, max_turns=15)
        for finding in found["findings"]
    )
    return list(zip(found["findings"], verdicts))


phase("Review")
checked = await pipeline(files, review, verify)

confirmed, unverified, refuted, failed = [], [], 0, []
for change, pairs in zip(files, checked):
    if pairs is None:
        failed.append(change["path"])
        continue
    for finding, check in pairs:
        if check is None:
            unverified.append(finding)
        elif check["verdict"] == "confirmed":
            confirmed.append({**finding, "reason": check["reason"]})
        else:
            refuted += 1
confirmed.sort(key=lambda finding: SEVERITIES.index(finding["severity"]))
log(f"{len(confirmed)} findings confirmed, {refuted} refuted, {len(unverified)} unverified")

phase("Verdict")
listing = "\n\n".join(describe(finding) for finding in confirmed) or "(none)"
verdict = await agent(
    f"Write the verdict of a review of the changes against `{base}` in "
    f"{len(files) - len(failed)} files. Each finding below survived an independent attempt "
    f"to refute it; {refuted} others were refuted, {len(unverified)} could not be "
    f"checked.\n\n{listing}\n\n"
    "Say whether the change is ready to merge, must-fix items first, in a few lines.",
    label="verdict",
)
return {
    "base": base,
    "files_reviewed": [change["path"] for change in files if change["path"] not in failed],
    "failed_reviews": failed,
    "skipped_files": skipped,
    "confirmed": confirmed,
    "refuted": refuted,
    "unverified": unverified,
    "verdict": verdict,
}
