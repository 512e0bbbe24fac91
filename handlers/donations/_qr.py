"""Pictures of a campaign's VietQR code: a PNG for the chat, an A4 poster (PDF) for the office.

The PNG comes from ``segno`` (BSD); the poster from ``reportlab`` (BSD). The poster prints
Vietnamese text with the DejaVu Sans font bundled in ``handlers/donations/fonts/`` when it is
there; without it, reportlab's built-in Helvetica cannot draw Vietnamese letters, so the text
is folded to ASCII (no diacritics) rather than printed with holes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import segno

from knowledge.text import strip_diacritics

__all__ = ["FONT_DIR", "poster_pdf", "qr_png"]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")


def qr_png(data: str, *, scale: int = 8) -> bytes:
    """The QR code of `data` as a PNG (error correction M, quiet zone of 4 modules)."""
    code = segno.make(data, error="m", micro=False, boost_error=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def _fonts() -> tuple[str, str, bool]:
    """(regular, bold, whether they draw Vietnamese): DejaVu if bundled, else Helvetica.

    The regular face is the one font object the sao kê registers (same name and options): two
    reportlab fonts over one file in one process made every later statement PDF fail
    ("redefining named object: toUnicodeCMap:AAAAAA+DejaVuSans"), so a poster printed once
    broke the sao kê until a restart. Without the bold file, bold is that same font.
    """
    from handlers.donations._statement_render import FONT_NAME, FONT_PATH

    regular, bold = (FONT_DIR / name for name in _FONT_FILES)
    if not regular.is_file():
        return "Helvetica", "Helvetica-Bold", False
    from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped,unused-ignore]
    from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped,unused-ignore]

    known = pdfmetrics.getRegisteredFontNames()
    if FONT_NAME not in known:
        font = TTFont(FONT_NAME, str(FONT_PATH), asciiReadable=True, shapable=False)
        pdfmetrics.registerFont(font)
    if not bold.is_file():
        return FONT_NAME, FONT_NAME, True
    if "GNDejaVuBold" not in known:
        pdfmetrics.registerFont(TTFont("GNDejaVuBold", str(bold)))
    return FONT_NAME, "GNDejaVuBold", True


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped,unused-ignore]

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if line and stringWidth(trial, font, size) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def poster_pdf(*, title: str, png: bytes, lines: Sequence[str], footer: str) -> bytes:
    """An A4 page: `title`, the QR code (9 cm), the account `lines`, a `footer`.

    Texts come translated; without a Vietnamese font they are printed without diacritics.
    """
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped,unused-ignore]
    from reportlab.lib.units import cm  # type: ignore[import-untyped,unused-ignore]
    from reportlab.lib.utils import ImageReader  # type: ignore[import-untyped,unused-ignore]
    from reportlab.pdfgen import canvas  # type: ignore[import-untyped,unused-ignore]

    regular, bold, vietnamese = _fonts()

    def shown(text: str) -> str:
        return text if vietnamese else strip_diacritics(text)

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1, pageCompression=0)  # text findable
    page.setTitle(shown(title))
    width, height = A4
    y = height - 2.5 * cm
    for line in _wrap(shown(title), bold, 22, width - 4 * cm):
        page.setFont(bold, 22)
        page.drawCentredString(width / 2, y, line)
        y -= 1.0 * cm
    size = 9 * cm
    y -= size + 0.3 * cm
    page.drawImage(ImageReader(io.BytesIO(png)), (width - size) / 2, y, size, size)
    y -= 1.2 * cm
    for text in lines:
        for line in _wrap(shown(text), regular, 14, width - 4 * cm):
            page.setFont(regular, 14)
            page.drawString(2 * cm, y, line)
            y -= 0.7 * cm
    page.setFont(regular, 10)
    for line in _wrap(shown(footer), regular, 10, width - 4 * cm):
        y -= 0.5 * cm
        page.drawString(2 * cm, max(y, 1.5 * cm), line)
    page.showPage()
    page.save()
    return out.getvalue()
