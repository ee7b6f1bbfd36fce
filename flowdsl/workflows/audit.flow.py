meta = {
    "name": "audit",
    "description": "Audit a codebase area by area through one lens (security, correctness, ...), "
                   "each area's findings cross-checked by a second auditor, then a summary",
    "whenToUse": "A periodic or pre-release audit of a whole repository, not just a diff",
    "phases": [
        {"title": "Map", "detail": "split the codebase into areas"},
        {"title": "Audit", "detail": "one auditor per area"},
        {"title": "Cross-check", "detail": "a second auditor tries to refute each area's findings"},
        {"title": "Summary"},
    ],
}

AREAS = {
    "type": "object",
    "properties": {
        "areas": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "paths": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "why": {"type": "string"},
                },
                "required": ["name", "paths", "why"],
            },
        },
    },
    "required": ["areas"],
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
    "properties": {"findings": {"type": "array", "items": FINDING, "maxItems": 10}},
    "required": ["findings"],
}
CHECKS = {
    "type": "object",
    "properties": {
        "checks": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "finding": {"type": "integer", "minimum": 1},
                    "verdict": {"enum": ["confirmed", "refuted"]},
                    "reason": {"type": "string"},
                },
                "required": ["finding", "verdict", "reason"],
            },
        },
    },
    "required": ["checks"],
}

focus = (args or {}).get("focus", "security and correctness")
max_areas = (args or {}).get("max_areas", 8)


def describe(finding):
    return (f"{finding['file']}:{finding['line']} [{finding['severity']}] {finding['claim']}\n"
            f"   Evidence: {finding['evidence']}")


phase("Map")
# No agent_type: the mapper gets the default read-only tools (read, list, glob, grep).
mapped = await agent(
    f"Map this codebase for a {focus} audit: split it into at most {max_areas} areas (a "
    "package, a subsystem, a layer), each small enough for one auditor. For each give a "
    f"name, its paths, and why it matters for {focus}. Leave out vendored and generated code.",
    label="map", schema=AREAS,
)
if mapped is None:
    raise RuntimeError("the mapper failed: there are no areas to audit")
areas = mapped["areas"][:max_areas]
log(f"{len(areas)} areas: {', '.join(area['name'] for area in areas)}")


# Each area flows on its own: its cross-check starts as soon as its audit is in.
async def audit(prev, area, index):
    return await agent(
        f"Audit the area '{area['name']}' ({', '.join(area['paths'])}) for {focus}. "
        f"Why it matters: {area['why']}",
        label=f"audit {area['name']}", phase="Audit",
        agent_type="flowdsl-auditor", schema=FINDINGS, max_turns=40,
    )


async def cross_check(found, area, index):
    if found is None:  # the auditor failed
        return None
    findings = found["findings"]
    if not findings:
        return []
    numbered = "\n".join(f"{n}. {describe(finding)}" for n, finding in enumerate(findings, 1))
    checked = await agent(
        f"Another auditor reported these {focus} findings in the area '{area['name']}'. Check "
        "each one against the whole codebase, not just that area: callers, validation done "
        "elsewhere, configuration, tests. Answer with one check per finding number.\n"
        + numbered,
        label=f"cross-check {area['name']}", phase="Cross-check",
        agent_type="flowdsl-verifier", schema=CHECKS,
    )
    by_number = {check["finding"]: check for check in (checked or {"checks": []})["checks"]}
    return [(finding, by_number.get(n)) for n, finding in enumerate(findings, 1)]


phase("Audit")
checked = await pipeline(areas, audit, cross_check)

confirmed, unchecked, refuted, failed = [], [], 0, []
for area, pairs in zip(areas, checked):
    if pairs is None:
        failed.append(area["name"])
        continue
    for finding, check in pairs:
        if check is None:
            unchecked.append({**finding, "area": area["name"]})
        elif check["verdict"] == "confirmed":
            confirmed.append({**finding, "area": area["name"], "reason": check["reason"]})
        else:
            refuted += 1
confirmed.sort(key=lambda finding: SEVERITIES.index(finding["severity"]))
log(f"{len(confirmed)} findings confirmed, {refuted} refuted, {len(unchecked)} unchecked")

phase("Summary")
listing = "\n".join(f"- ({f['area']}) {describe(f)}" for f in confirmed) or "(none)"
summary = await agent(
    f"Write the summary of a {focus} audit of {len(areas)} areas"
    + (f" (the audit of {', '.join(failed)} failed)" if failed else "")
    + f". These findings survived a cross-check; {refuted} others were refuted.\n{listing}\n"
    "Group them by theme, most severe first, and end with the three fixes that matter most.",
    label="summary",
)
return {
    "focus": focus,
    "areas": [area["name"] for area in areas],
    "failed_areas": failed,
    "confirmed": confirmed,
    "refuted": refuted,
    "unchecked": unchecked,
    "summary": summary,
}
