"""How a Q&A answer and a search result look in the chat (text and buttons)."""

from __future__ import annotations

from bot.core.i18n import Translator, format_day
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.faq._payloads import AskOfficer, Feedback, ShowEntry
from knowledge.faq import Entry, KnowledgeBase, SearchResult
from knowledge.legal import Registry, load_registry

LABEL_CHARS = 60


def short(text: str, limit: int = LABEL_CHARS) -> str:
    """A button label of at most `limit` characters, cut between words, never inside one."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace() and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:–-") + "…"


def citations(entry: Entry, t: Translator, registry: Registry | None = None) -> list[str]:
    """One "Nghị định 07/2021/NĐ-CP (hiệu lực từ 15/03/2021)" per cited registry document.

    Args:
        entry: The answered entry.
        t: The reader's translator (its language also formats the dates).
        registry: The legal registry; defaults to the shipped one.

    Returns:
        The citations in the entry's order; ids missing from the registry are left out
        (``giamngheo kb lint`` rejects them).
    """
    documents = load_registry() if registry is None else registry
    lines: list[str] = []
    for document_id in entry.cites:
        document = documents.get(document_id)
        if document is None:
            continue
        dated = document.citation_date
        if dated is None:
            lines.append(t("faq.citation_undated", name=document.name))
        else:
            kind, day = dated
            lines.append(
                t(f"faq.citation_{kind}", name=document.name, date=format_day(day, t.language))
            )
    return lines


def basis_line(entry: Entry, t: Translator, registry: Registry | None = None) -> str:
    """The "📖 Căn cứ: …" line of an answer, or "" when it cites nothing known."""
    found = citations(entry, t, registry)
    return t("faq.basis", citations="; ".join(found)) if found else ""


def answer_reply(turn: Turn, kb: KnowledgeBase, entry: Entry) -> Reply:
    """The entry's answer with its legal basis, a provisional warning, related entries, 👍/👎."""
    parts = [entry.answer.strip(), ""]
    basis = basis_line(entry, turn.t)
    if basis:
        parts.append(basis)
    if entry.provisional:
        parts.append(turn.t("faq.provisional"))
    parts.append("")
    parts.append(turn.t("faq.was_helpful"))
    choices = [Feedback("up", entry.id).choice(turn.t("faq.helpful"))]
    choices.append(Feedback("dn", entry.id).choice(turn.t("faq.unhelpful")))
    for related_id in entry.related[:3]:
        related = kb.get(related_id)
        if related is not None and related.is_valid_on(turn.today):
            choices.append(ShowEntry(related.id).choice("📖 " + short(related.question)))
    return Reply("\n".join(parts), tuple(choices))


def result_replies(turn: Turn, kb: KnowledgeBase, result: SearchResult) -> list[Reply]:
    """The graded answer: the answer, "did you mean", or not found with the handover offer."""
    if result.grade == "confident" and result.best is not None:
        return [answer_reply(turn, kb, result.best.entry)]
    if result.grade == "unsure" and result.candidates:
        choices = [
            ShowEntry(match.entry.id).choice(short(match.entry.question))
            for match in result.candidates[:3]
        ]
        choices.append(AskOfficer().choice(turn.t("faq.none_of_these")))
        return [Reply(turn.t("faq.did_you_mean"), tuple(choices))]
    return [
        Reply(
            turn.t("faq.not_found"),
            (
                AskOfficer().choice(turn.t("faq.ask_officer")),
                Choice(turn.t("menu.back_to_menu"), "menu:main"),
            ),
        )
    ]
