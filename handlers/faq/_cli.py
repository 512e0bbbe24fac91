"""`giamngheo ask "câu hỏi" [--json]` and `giamngheo kb lint|unanswered`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date

from bot.core.config import Config
from bot.core.i18n import Translator, to_local
from handlers.faq._render import basis_line, citations
from knowledge.faq import KnowledgeBase, SearchResult
from knowledge.kb_lint import lint_entries
from storage.clock import utc_now
from storage.db import Database
from storage.questions import QuestionRepository


def result_json(result: SearchResult) -> dict[str, object]:
    """The search result as the documented JSON object.

    ``cites`` holds the legal-registry ids of the answer and ``citations`` the same documents
    as the answer shows them ("Nghị định 07/2021/NĐ-CP (hiệu lực từ 15/03/2021)").
    """
    best = result.best if result.grade == "confident" else None
    top = result.top
    t = Translator("vi")
    return {
        "answered": best is not None,
        "answer": best.entry.answer if best else "",
        "entry_id": best.entry.id if best else None,
        "score": round(top.score, 1) if top else 0,
        "cites": list(best.entry.cites) if best else [],
        "citations": citations(best.entry, t) if best else [],
        "provisional": best.entry.provisional if best else False,
        "suggestions": [
            {"entry_id": match.entry.id, "question": match.entry.question}
            for match in (result.candidates if result.grade == "unsure" else ())
        ],
    }


def cmd_ask(args: argparse.Namespace, config: Config) -> int:
    """Print the answer to one question (exit 0 whether or not it was answered)."""
    del config
    day = date.fromisoformat(args.date) if args.date else to_local(utc_now()).date()
    result = KnowledgeBase.load().search(args.question, today=day)
    data = result_json(result)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    elif result.best is not None and data["answered"]:
        print(f"{data['answer']}\n\n{basis_line(result.best.entry, Translator('vi'))}")
    elif data["suggestions"]:
        print("Có phải bạn muốn hỏi:")
        for item in data["suggestions"]:  # type: ignore[attr-defined]
            print(f"  - {item['question']}")
    else:
        print("Chưa tìm thấy câu trả lời phù hợp. Hãy hỏi cán bộ xã/phường.")
    return 0


def cmd_kb(args: argparse.Namespace, config: Config) -> int:
    """`kb lint` checks every entry; `kb unanswered` lists the most frequent unanswered."""
    if args.kb_command == "lint":
        problems = lint_entries(today=to_local(utc_now()).date())
        for problem in problems:
            print(problem)
        count = len(KnowledgeBase.load().entries)
        if problems:
            print(f"{len(problems)} lỗi trong kho kiến thức.", file=sys.stderr)
            return 1
        print(f"Kho kiến thức hợp lệ: {count} mục.")
        return 0

    async def unanswered() -> int:
        db = Database(config.database_path)
        await db.open()
        try:
            await db.migrate()
            for item in await QuestionRepository(db).frequent(everywhere=True, limit=args.limit):
                print(f"{item.count}\t{item.text}")
        finally:
            await db.close()
        return 0

    return asyncio.run(unanswered())


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommands."""
    ask = sub.add_parser("ask", help="answer one question from the knowledge base")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--date", help="answer as on this date (YYYY-MM-DD)")
    ask.set_defaults(sync_func=cmd_ask)
    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_sub.add_parser("lint", help="check every entry")
    unanswered = kb_sub.add_parser("unanswered", help="most frequent unanswered questions")
    unanswered.add_argument("--limit", type=int, default=20)
    kb.set_defaults(sync_func=cmd_kb)
