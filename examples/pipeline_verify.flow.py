meta = {
    "name": "pipeline-verify",
    "description": "Draft an answer per question, verify it independently, repair what fails",
    "whenToUse": "Research questions where each answer must survive an independent check",
    "phases": [{"title": "Draft"}, {"title": "Verify"}, {"title": "Repair"}],
}

VERDICT = {
    "type": "object",
    "properties": {
        "correct": {"type": "boolean"},
        "problem": {"type": "string"},
    },
    "required": ["correct", "problem"],
}

questions = (args or {}).get("questions") or [
    "Which HTTP status codes should a client retry?",
    "When is a SQLite WAL checkpoint triggered?",
    "What does structured concurrency guarantee about child tasks?",
]


async def draft(prev, question, index):
    return await agent(f"Answer concisely: {question}", label=f"draft {index}", phase="Draft")


async def verify(answer, question, index):
    verdict = await agent(
        f"Check this answer to '{question}'. Answer: {answer}",
        label=f"verify {index}", phase="Verify", schema=VERDICT,
    )
    return {"answer": answer, "verdict": verdict}


async def repair(checked, question, index):
    if checked["verdict"] is None or checked["verdict"]["correct"]:
        return checked["answer"]
    return await agent(
        f"Fix the answer to '{question}'. Problem: {checked['verdict']['problem']}. "
        f"Old answer: {checked['answer']}",
        label=f"repair {index}", phase="Repair",
    )


answers = await pipeline(questions, draft, verify, repair)
for question, answer in zip(questions, answers):
    log(f"{question[:40]}... -> {'ok' if answer else 'FAILED'}")
return {"answers": answers, "unanswered": answers.count(None)}
