meta = {
    "name": "research",
    "description": "Research a question from several lenses, each answer challenged by a skeptic, "
                   "then one synthesis that says what is verified and what is not",
    "whenToUse": "A question that needs sources and more than one angle: a technology choice, "
                 "prior art, how something works",
    "phases": [
        {"title": "Plan", "detail": "split the question into lenses"},
        {"title": "Research", "detail": "one researcher per lens"},
        {"title": "Challenge", "detail": "a skeptic per lens questions the claims"},
        {"title": "Synthesize"},
    ],
}

question = (args or {}).get("question")
if not isinstance(question, str) or not question.strip():
    raise ValueError('@research needs a question: --args \'{"question": "..."}\'')
max_lenses = (args or {}).get("max_lenses", 4)

LENSES = {
    "type": "object",
    "properties": {
        "lenses": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "question": {"type": "string"}},
                "required": ["name", "question"],
            },
        },
    },
    "required": ["lenses"],
}
CLAIM = {
    "type": "object",
    "properties": {
        "claim": {"type": "string"},
        "source": {"type": "string"},
        "verified": {"type": "boolean"},
    },
    "required": ["claim", "source", "verified"],
}
REPORT = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "claims": {"type": "array", "items": CLAIM, "maxItems": 10},
        "web_access": {"type": "boolean"},
        "sources_note": {"type": "string"},
    },
    "required": ["answer", "claims", "web_access", "sources_note"],
}
CHALLENGE = {
    "type": "object",
    "properties": {
        "doubtful": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"claim": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["claim", "reason"],
            },
        },
        "confidence": {"enum": ["high", "medium", "low"]},
    },
    "required": ["doubtful", "confidence"],
}

phase("Plan")
planned = await agent(
    f"Split this question into at most {max_lenses} lenses — distinct angles that together "
    f"answer it (e.g. how it works, alternatives, costs, risks) — each with its own "
    f"focused question.\nQuestion: {question}",
    label="lenses", schema=LENSES,
)
if planned is None:
    raise RuntimeError("the planner failed: there are no lenses to research")
lenses = planned["lenses"][:max_lenses]


# Each lens flows on its own: its skeptic starts as soon as its research is in.
async def research(prev, lens, index):
    return await agent(
        f"Research: {lens['question']}\n(One lens, '{lens['name']}', of the question: "
        f"{question})\nUse web search and fetch if you have them, and the workspace if the "
        "question concerns it. Give each claim its source. Set web_access to whether you "
        "had a web tool. If you had none, say so explicitly in sources_note, answer from "
        "the workspace and your own knowledge, and mark every claim you could not check "
        "against a source as verified: false.",
        label=f"research {lens['name']}", phase="Research",
        agent_type="flowdsl-researcher", schema=REPORT,
    )


async def challenge(report, lens, index):
    if report is None:  # the researcher failed
        return None
    claims = "\n".join(
        f"- {c['claim']} (source: {c['source']}; {'verified' if c['verified'] else 'UNVERIFIED'})"
        for c in report["claims"])
    doubts = await agent(
        f"Be the skeptic. A researcher answered '{lens['question']}':\n{report['answer']}\n"
        f"Claims:\n{claims}\nSources: {report['sources_note']}\nList the claims that are "
        "wrong, outdated, unsupported or resting on unverified knowledge, with the reason, "
        "and rate your confidence in the answer.",
        label=f"challenge {lens['name']}", phase="Challenge",
        agent_type="flowdsl-verifier", schema=CHALLENGE,
    )
    return {"lens": lens["name"], "report": report, "doubts": doubts}


phase("Research")
results = await pipeline(lenses, research, challenge)
done = [r for r in results if r is not None]
failed = [lens["name"] for lens, r in zip(lenses, results) if r is None]
web_access = any(r["report"]["web_access"] for r in done)
if not web_access:
    log("no researcher had web access: the answer rests on the workspace and model knowledge")

phase("Synthesize")
sections = []
for r in done:
    doubtful = r["doubts"]["doubtful"] if r["doubts"] else []
    sections.append(
        f"## {r['lens']}\n{r['report']['answer']}\nSources: {r['report']['sources_note']}\n"
        f"Doubtful: {'; '.join(d['claim'] + ' — ' + d['reason'] for d in doubtful) or 'none'}")
answer = await agent(
    f"Answer this question from the research below: {question}\nDrop or flag the doubtful "
    "claims, say where the lenses disagree, and state plainly which parts rest on "
    f"unverified knowledge{'' if web_access else ' (no researcher had web access)'}.\n\n"
    + "\n\n".join(sections),
    label="synthesis",
)
return {
    "question": question,
    "answer": answer,
    "web_access": web_access,
    "lenses": [{"name": r["lens"], "sources_note": r["report"]["sources_note"],
                "confidence": r["doubts"]["confidence"] if r["doubts"] else None}
               for r in done],
    "doubtful": [d for r in done if r["doubts"] for d in r["doubts"]["doubtful"]],
    "failed_lenses": failed,
}
