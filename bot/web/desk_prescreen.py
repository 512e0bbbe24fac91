"""The desk's pre-screening (sàng lọc sơ bộ): a household list in, the result file out.

`/can-bo/sang-loc` takes a CSV or XLSX list (multipart form) and runs the very function
`giamngheo classify` runs (`bot.classify_io.classify_file`), in a worker thread, with the
comparison to the 2027 standard when asked: the page shows the summary (counts by category,
the households changing category, the bad rows, the report text `giamngheo classify` prints)
and offers the result file, in the format of the list sent.

The list and its results hold households' incomes and situations:

- the upload is written to a private file (0600, in a 0700 folder made for this process) only
  for as long as `classify_file` reads it, then deleted;
- the result file is written there 0600 (`classify_file`'s own private writer) and served only
  to the session that sent the list (same officer, same session id hash), for 30 minutes, then
  deleted; everything left is deleted when the site closes. Nothing is under `/static/`.
- the run is audited (`prescreen.run`) with counts only.

One process keeps the results in memory: a second process behind the same address would not
find them (the officer would send the list again).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import secrets
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from xml.etree.ElementTree import ParseError

from aiohttp import web

from bot.classify_io import ClassifyReport, classify_file, format_report_vi
from bot.core.i18n import to_local
from bot.core.types import User
from bot.web.site import SESSION_COOKIE, WebSite
from knowledge.assessment import CATEGORIES, LOCALITY_NAMES_VI, NoStandardError
from knowledge.batch import REQUIRED_COLUMNS, BatchFormatError
from knowledge.transition import SWITCH_DAY
from storage import files, web_auth
from storage.audit import audit_step

__all__ = ["Prescreens", "routes"]

KEEP_FOR = timedelta(minutes=30)
MAX_FILE_MB = 10
"""The largest list taken (the HTTP server takes bodies up to 12 MB: the file and its form)."""
MAX_ERRORS_SHOWN = 20
FORMATS = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UNREADABLE = (zipfile.BadZipFile, csv.Error, UnicodeDecodeError, KeyError, ValueError, ParseError)
"""What a damaged or mislabelled file raises while it is read (the list's own mistakes)."""


@dataclass(frozen=True, slots=True)
class Prescreen:
    """One run's result: whose it is, where its file is, its summary."""

    token: str
    user_id: int
    session_hash: str
    path: Path
    filename: str
    report: ClassifyReport
    created_at: datetime


class Prescreens:
    """The results of this process, each for the session that made it, kept 30 minutes."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="giamngheo-sangloc-"))  # 0700
        self._results: dict[str, Prescreen] = {}

    def add(self, result: Prescreen) -> None:
        """Keep `result` (its token is random, 32 bytes); drop the expired ones."""
        self.purge(result.created_at)
        self._results[result.token] = result

    def find(self, token: str, *, user_id: int, session_hash: str, now: datetime) -> Prescreen:
        """The result of `token` if it is this session's and still kept.

        Raises:
            web.HTTPNotFound: Unknown, expired, or another session's.
        """
        self.purge(now)
        found = self._results.get(token)
        if found is None or found.user_id != user_id or found.session_hash != session_hash:
            raise web.HTTPNotFound
        return found

    def purge(self, now: datetime) -> None:
        """Delete the results older than `KEEP_FOR` (their files too)."""
        for token, result in list(self._results.items()):
            if now - result.created_at > KEEP_FOR:
                del self._results[token]
                result.path.unlink(missing_ok=True)

    async def close(self) -> None:
        """Delete every file left."""
        self._results.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def run_classify(
    upload: bytes, suffix: str, folder: Path, *, day: date, locality: str | None, compare: bool
) -> tuple[Path, ClassifyReport]:
    """Classify an uploaded list as `giamngheo classify -o` does; the result file and summary.

    The upload lives in a private file only while it is read.
    """
    stem = secrets.token_hex(16)
    source = folder / f"{stem}-in{suffix}"
    target = folder / f"{stem}-out{suffix}"
    files.write_private(source, upload)
    try:
        report = classify_file(
            source,
            target,
            day=day,
            locality=locality,
            compare_day=SWITCH_DAY if compare and day < SWITCH_DAY else None,
        )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        source.unlink(missing_ok=True)
    return target, report


def report_text(report: ClassifyReport) -> str:
    """The report `giamngheo classify` prints, without the server's file path."""
    return format_report_vi(replace(report, output_path=None), max_errors_shown=MAX_ERRORS_SHOWN)


def transition_rows(report: ClassifyReport) -> list[tuple[str, str, int]]:
    """(category today, category under the comparison standard or "unsettled", households)."""
    order = {category: index for index, category in enumerate(CATEGORIES)}
    return [
        (now, then, count)
        for (now, then), count in sorted(
            report.transitions.items(), key=lambda item: (order[item[0][0]], item[0][1])
        )
    ]


def number(value: int, *, language: str = "vi") -> str:
    """A count with thousands grouped (1.234 in Vietnamese, 1,234 in English)."""
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if language == "vi" else grouped


def _day(text: str, default: date) -> date | None:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class _Pages:
    """The pre-screening pages of one site."""

    def __init__(self, site: WebSite) -> None:
        self.site = site
        self.results = Prescreens()
        self.running = asyncio.Semaphore(1)
        """One list at a time per process: the classifier is CPU-bound (the GIL is shared)."""
        site.cleanups.append(self.results.close)

    def _today(self) -> date:
        return to_local(self.site.clock()).date()

    async def _default_locality(self, officer: User) -> str:
        """The local standard of the officer's province, if it has one."""
        ward = await self.site.services.users.ward(officer.ward_id) if officer.ward_id else None
        for code, name in LOCALITY_NAMES_VI.items():
            if ward is not None and ward.province == name:
                return code
        return ""

    def _form(
        self,
        request: web.Request,
        *,
        day: str,
        locality: str,
        compare: bool,
        error: str = "",
        status: int = 200,
    ) -> web.Response:
        return self.site.render(
            request,
            "prescreen/form.html",
            status=status,
            error=error,
            day_value=day,
            locality=locality,
            compare=compare,
            localities=LOCALITY_NAMES_VI,
            required=REQUIRED_COLUMNS,
            max_mb=MAX_FILE_MB,
            switch_day=SWITCH_DAY,
        )

    async def show(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        self.results.purge(self.site.clock())
        return self._form(
            request,
            day=self._today().isoformat(),
            locality=await self._default_locality(officer),
            compare=self._today() < SWITCH_DAY,
        )

    async def upload(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        form = await request.post()
        t = self.site.translator(request)
        day_text = str(form.get("ngay", "")).strip()[:10]
        locality = str(form.get("dia-phuong", ""))
        locality = locality if locality in LOCALITY_NAMES_VI else ""
        compare = form.get("so-sanh") == "1"

        def again(key: str, **params: object) -> web.Response:
            return self._form(
                request,
                day=day_text,
                locality=locality,
                compare=compare,
                error=t(key, **params),
                status=400,
            )

        day = _day(day_text, self._today())
        if day is None:
            return again("web_desk.prescreen.bad_day")
        field = form.get("tep")
        if not isinstance(field, web.FileField) or not field.filename:
            return again("web_desk.prescreen.no_file")
        suffix = Path(field.filename).suffix.lower()
        if suffix not in FORMATS:
            return again("web_desk.prescreen.bad_type")
        upload = field.file.read()
        if not upload:
            return again("web_desk.prescreen.empty")
        if len(upload) > MAX_FILE_MB * 1024 * 1024:
            return again("web_desk.prescreen.too_big", size=MAX_FILE_MB)
        try:
            async with self.running:
                path, report = await asyncio.to_thread(
                    run_classify,
                    upload,
                    suffix,
                    self.results.folder,
                    day=day,
                    locality=locality or None,
                    compare=compare,
                )
        except NoStandardError:
            return again("web_desk.prescreen.no_standard", day=day.strftime("%d/%m/%Y"))
        except BatchFormatError as error:
            return again("web_desk.prescreen.bad_format", reason=str(error))
        except UNREADABLE:
            return again("web_desk.prescreen.unreadable", kind=suffix[1:].upper())
        now = self.site.clock()
        result = Prescreen(
            token=secrets.token_urlsafe(32),
            user_id=officer.id,
            session_hash=web_auth.digest(request.cookies.get(SESSION_COOKIE, "")),
            path=path,
            filename=f"ket-qua-sang-loc-{day.strftime('%Y%m%d')}{suffix}",
            report=report,
            created_at=now,
        )
        self.results.add(result)
        await self.site.db.write(
            audit_step(
                actor_user_id=officer.id,
                action="prescreen.run",
                target="prescreen",
                detail={"rows": report.rows_ok, "bad_rows": report.rows_bad, "format": suffix[1:]},
                now=now,
            )
        )
        return self.site.render(
            request,
            "prescreen/result.html",
            result=result,
            report=report,
            check_day=day,
            number=partial(number, language=self.site.language(request)),
            categories=CATEGORIES,
            transitions=transition_rows(report),
            text=report_text(report),
            errors=report.errors[:MAX_ERRORS_SHOWN],
            keep_minutes=int(KEEP_FOR.total_seconds() // 60),
        )

    async def download(self, request: web.Request) -> web.StreamResponse:
        officer = await self.site.officer(request)
        result = self.results.find(
            request.match_info["token"],
            user_id=officer.id,
            session_hash=web_auth.digest(request.cookies.get(SESSION_COOKIE, "")),
            now=self.site.clock(),
        )
        with contextlib.suppress(FileNotFoundError):
            data = await asyncio.to_thread(result.path.read_bytes)
            return web.Response(
                body=data,
                content_type=FORMATS[result.path.suffix],
                headers={"Content-Disposition": f'attachment; filename="{result.filename}"'},
            )
        raise web.HTTPNotFound


def routes(site: WebSite) -> None:
    """Add the pre-screening form, its result and the result file."""
    pages = _Pages(site)
    site.get("/can-bo/sang-loc", pages.show)
    site.post("/can-bo/sang-loc", pages.upload)
    site.get("/can-bo/sang-loc/ket-qua/{token}", pages.download)
