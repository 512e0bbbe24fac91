"""`giamngheo ask "câu hỏi" [--json]` and `giamngheo kb lint|unanswered|learned`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path

from bot.core import cli_types
from bot.core.config import Config
from bot.core.i18n import Translator, to_local
from handlers.faq._render import basis_line, citations
from knowledge.faq import FAQ_DIRECTORY, KnowledgeBase, SearchResult, split_front_matter
from knowledge.kb_lint import lint_entries
from knowledge.text import normalize
from storage.clock import utc_now
from storage.db import open_database
from storage.questions import LearnedPhrasing, QuestionRepository


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

    async def with_questions() -> int:
        async with open_database(config.database) as db:
            questions = QuestionRepository(db)
            if args.kb_command == "learned":
                return await learned(questions, args)
            for item in await questions.frequent(everywhere=True, limit=args.limit):
                print(f"{item.count}\t{item.text}")
        return 0

    return asyncio.run(with_questions())


def add_phrasing(text: str, phrasing: str) -> str | None:
    """An entry file with one more phrasing in its `phrasings` array (None if it has none).

    The array is edited as text, so the rest of the file (comments, order) stays as written.
    """
    lines = text.splitlines(keepends=True)
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("phrasings = ["))
        end = next(i for i in range(start, len(lines)) if lines[i].rstrip().endswith("]"))
    except StopIteration:
        return None
    quoted = json.dumps(phrasing, ensure_ascii=False)  # a valid TOML basic string
    if start == end:  # phrasings = ["a", "b"] on one line
        head, _, _ = lines[start].rstrip().rpartition("]")
        separator = ", " if head.rstrip() != "phrasings = [" else ""
        lines[start] = f"{head.rstrip()}{separator}{quoted}]\n"
    else:
        lines.insert(end, f"    {quoted},\n")
    return "".join(lines)


async def learned(questions: QuestionRepository, args: argparse.Namespace) -> int:
    """`kb learned`: list the attached phrasings; with `--export`, write them into the files.

    Nothing is written when the knowledge-base lint would then fail: the files are restored,
    the problems printed, and the phrasings stay pending.
    """
    pending = await questions.learned(pending_only=True)
    if not args.export:
        for phrasing in await questions.learned():
            state = "đã xuất" if phrasing.exported else "chưa xuất"
            print(f"{phrasing.entry_id}\t{state}\t{phrasing.text}")
        return 0
    directory = Path(args.dir) if args.dir else FAQ_DIRECTORY
    originals: dict[Path, str] = {}
    done: list[LearnedPhrasing] = []
    for phrasing in pending:
        path = directory / f"{phrasing.entry_id}.md"
        if not path.exists():
            print(f"Bỏ qua: không có mục {phrasing.entry_id}.", file=sys.stderr)
            continue
        text = path.read_text(encoding="utf-8")
        data, _ = split_front_matter(text)
        raw = data.get("phrasings")
        known = [data.get("question"), *(raw if isinstance(raw, list) else [])]
        if normalize(phrasing.text) not in {normalize(str(t)) for t in known}:
            updated = add_phrasing(text, phrasing.text)
            if updated is None:
                print(f"Bỏ qua: {path.name} không có danh sách phrasings.", file=sys.stderr)
                continue
            originals.setdefault(path, text)
            path.write_text(updated, encoding="utf-8")
        done.append(phrasing)
    problems = lint_entries(directory, today=to_local(utc_now()).date())
    if problems:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
        for problem in problems:
            print(problem, file=sys.stderr)
        print("Không xuất: kho kiến thức sẽ không hợp lệ; đã khôi phục các tệp.", file=sys.stderr)
        return 1
    await questions.mark_exported([p.id for p in done], now=utc_now())
    print(f"Đã xuất {len(done)} cách hỏi vào {len(originals)} tệp trong {directory}.")
    return 0


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
    unanswered.add_argument("--limit", type=cli_types.count, default=20)
    learned_cmd = kb_sub.add_parser("learned", help="phrasings officers attached in the chat")
    learned_cmd.add_argument(
        "--export", action="store_true", help="write them into the entry files (lint-checked)"
    )
    learned_cmd.add_argument("--dir", help="the entries' folder (default: knowledge/faq)")
    kb.set_defaults(sync_func=cmd_kb)
