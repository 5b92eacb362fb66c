"""Ingest: read cables from files, folders and the release CSV, and save them in batches.

    report = ingest_paths([Path("cables/")], store, permalinks=config.permalinks)

One bad input never stops an ingest: each is reported with its file (and row) and reason, and the rest
goes on. Cables are saved a few hundred per transaction; in the same transaction, the picker's scorer
(when `bot.picks` provides one) scores the paragraphs the batch is about to write, so that each paragraph
row is written once, score included, and the corpus statistics with the cables they describe: no later
pass over the corpus is needed. A scored ingest of large inputs parses them in a second process, so
that parsing and scoring use two CPUs; every batch is still saved by this one, in one transaction.

The scorer contract: `bot.picks.batch_scorer(config) -> BatchScorer | None`, where a BatchScorer is a
`bot.store.cables.ParagraphScorer`, called as `scorer(connection, writing)` with the open write
transaction and the list of `bot.store.cables.Writing` (a cable whose paragraphs are about to be
written, and the texts of the stored paragraphs they replace, when a fuller copy replaces them). It
returns, for each, one (score, blocked, block_reason, reasons JSON) per paragraph, in order, and may
write more in the transaction (the corpus statistics). Identical copies are skipped before it is
called, and a copy that only fills metadata gaps writes no paragraphs; neither reaches it.

A BatchScorer may also have the methods `prepare(cable)` and `receive(sent)`: the reader process (see
below) may call `prepare` on a cable it parses, and sends what it returns (if not None) with the cable;
this process calls `receive` on each, in the order they were made, and the scorer finds what that
returns in `Writing.prepared`, when the cable written is that very cable. So the part of scoring that
needs no corpus statistics can be done by the reader process, for the process that saves to do less.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import queue
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.errors import CablebotError, ParseError
from bot.model import Cable
from bot.permalink import DEFAULT_PERMALINKS, PermalinkTemplate
from bot.sources import HEAD_SIZE, detect_format, iter_release_csv, read_file

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from bot.config import Config
    from bot.store import Store

    # The scorer contract (see above); named here for bot.picks, defined by the store that calls it.
    from bot.store.cables import ParagraphScorer as BatchScorer

Progress = Callable[[int], None]  # called with the number of input bytes just consumed


class PreparedCable(NamedTuple):
    """A cable, and what the scorer made of it in the process that parsed it (`prepare`, then `receive`)."""

    cable: Cable
    prepared: Any


BATCH_SIZE = 500
FIRST_BATCH = 32  # an ingest's first batch; each next one twice as big, up to BATCH_SIZE (see ingest())


@dataclass(frozen=True, slots=True)
class Failure:
    where: str  # the file, with row or line when known
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class IngestWarning:
    ref_id: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.ref_id} ({self.where}): {self.message}"


@dataclass
class IngestReport:
    ingested: int = 0
    updated: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    warnings: list[IngestWarning] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "ingested": self.ingested,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "failures": [{"where": f.where, "reason": f.reason} for f in self.failures],
            "warnings": [{"ref_id": w.ref_id, "where": w.where, "message": w.message} for w in self.warnings],
        }


# --- finding and reading the inputs -------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    files: list[Path]
    missing: list[Failure]  # paths given that do not exist

    @property
    def total_bytes(self) -> int:
        """What `progress` adds up to while these files are read."""
        return sum(_size(p) for p in self.files)


def find_inputs(paths: Sequence[Path]) -> Inputs:
    """The files to read: each file given, and every file under each folder given (recursively, in
    name order, hidden files skipped). A path that does not exist is a failure, not the end."""
    files: list[Path] = []
    missing: list[Failure] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append(Failure(str(path), "no such file or folder"))
    return Inputs(files, missing)


def read_files(
    files: Sequence[Path],
    permalinks: PermalinkTemplate = DEFAULT_PERMALINKS,
    progress: Progress | None = None,
) -> Iterator[Cable | ParseError]:
    """Every cable (or the error that stands for it) in `files`, reporting bytes consumed to `progress`."""
    advance = progress or (lambda _n: None)
    for path in files:
        size = _size(path)
        done = 0
        try:
            if _is_release_csv(path):
                for consumed, item in iter_release_csv(path, permalinks):
                    advance(consumed - done)
                    done = consumed
                    yield item
            else:
                yield from read_file(path, permalinks)
        except (OSError, UnicodeError) as e:
            yield ParseError(f"cannot read the file: {e}", where=str(path))
        except Exception as e:
            yield ParseError(
                f"cablebot could not read this file ({type(e).__name__}: {e}); "
                "please report it with the file",
                where=str(path),
            )
        advance(max(size - done, 0))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _is_release_csv(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(HEAD_SIZE)
    return detect_format(head.decode("utf-8", errors="replace")) == "csv"


# --- saving -------------------------------------------------------------------------------------------


def ingest(
    items: Iterable[Cable | PreparedCable | ParseError],
    store: Store,
    *,
    scorer: BatchScorer | None = None,
    batch_size: int = BATCH_SIZE,
    report: IngestReport | None = None,
    first_batch: int = FIRST_BATCH,
    saved: Callable[[int], None] | None = None,
) -> IngestReport:
    """Save every cable of `items` by the merge rule, a batch per transaction; count what happened.

    The first batch holds `first_batch` cables and each next one twice as many, up to `batch_size`: the
    writer starts on the first cables instead of waiting for a full batch (when a second process reads,
    it would otherwise sit idle while 500 cables are parsed, a fifth of an ingest of the 1,295 pages),
    and only a few batches are small (each batch writes all its distinct terms to the corpus statistics,
    so small batches cost more per cable). Every ingest batches the same way, one process or two: scores
    count the batch's own paragraphs in the corpus statistics, so the same input gives the same scores.
    `saved` is called with the number of cables of each batch once it is saved (in the writer thread)."""
    report = report or IngestReport()
    batch: list[Cable] = []
    prepared: list[Any] = []  # what was prepared for each cable of the batch (None for nothing)
    size = min(first_batch, batch_size)
    with _fewer_collections(), _BatchWriter(store, scorer, report, saved) as writer:
        for item in items:
            if isinstance(item, ParseError):
                where = item.where or "input"
                report.failures.append(
                    Failure(f"{where}:{item.line}" if item.line is not None else where, item.reason)
                )
                continue
            if isinstance(item, PreparedCable):
                batch.append(item.cable)
                prepared.append(item.prepared)
            else:
                batch.append(item)
                prepared.append(None)
            if len(batch) >= size:
                writer.put(batch, prepared)
                batch, prepared = [], []
                size = min(2 * size, batch_size)
        if batch:
            writer.put(batch, prepared)
    return report


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while ingesting.

    An ingest allocates millions of short-lived containers (cables, paragraphs, readings, scores) that
    reference counting frees on its own; with the default thresholds the collector still walks them
    every 700 allocations and the long-lived heap (the loaded code, the statistics) again and again,
    which cost about a tenth of a scored ingest. Little of what an ingest drops is cyclic, so collecting
    50,000 allocations apart bounds the extra memory. The thresholds are restored afterwards.
    """
    global _ingesting, _thresholds
    with _gc_lock:  # ingests in several threads at once: the first sets, the last restores
        if _ingesting == 0:
            _thresholds = gc.get_threshold()
            gc.set_threshold(50_000, 20, 20)
        _ingesting += 1
    try:
        yield
    finally:
        with _gc_lock:
            _ingesting -= 1
            if _ingesting == 0:
                gc.set_threshold(*_thresholds)


_gc_lock = threading.Lock()
_ingesting = 0
_thresholds = gc.get_threshold()


class _BatchWriter:
    """Saves batches in a thread of its own while the caller parses the next ones.

    Parsing is Python work; saving is mostly waiting for the database (PostgreSQL's server, SQLite's C
    code, both run without the GIL), so the two overlap. Batches are saved one at a time, in order. At
    most two wait in the queue, which bounds memory. A failure to save stops the ingest: the next
    `put`, or the end of the `with` block, raises it.
    """

    _DONE = None

    def __init__(
        self,
        store: Store,
        scorer: BatchScorer | None,
        report: IngestReport,
        saved: Callable[[int], None] | None = None,
    ) -> None:
        self._store, self._scorer, self._report, self._saved = store, scorer, report, saved
        self._queue: queue.Queue[tuple[list[Cable], list[Any]] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="cablebot-ingest-writer", daemon=True)

    def __enter__(self) -> _BatchWriter:
        self._thread.start()
        return self

    def put(self, batch: list[Cable], prepared: list[Any]) -> None:
        self._raise_failure()
        self._queue.put((batch, prepared))

    def __exit__(self, *exc: object) -> None:
        self._queue.put(self._DONE)
        self._thread.join()
        if exc[0] is None:
            self._raise_failure()

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (work := self._queue.get()) is not self._DONE:
            if self._error is None:
                batch, prepared = work
                try:
                    _save(self._store, batch, self._scorer, self._report, prepared)
                    if self._saved is not None:
                        self._saved(len(batch))
                except BaseException as e:  # handed to the caller's thread, which raises it
                    self._error = e


def _save(
    store: Store,
    batch: list[Cable],
    scorer: BatchScorer | None,
    report: IngestReport,
    prepared: list[Any] | None = None,
) -> None:
    from bot.store.cables import save_cables
    from bot.store.merge import Outcome

    with store.write() as conn:
        saved = save_cables(conn, batch, scorer, prepared)
    for offered, result in zip(batch, saved, strict=True):
        setattr(report, result.outcome.value, getattr(report, result.outcome.value) + 1)
        # Said once, when the cable is written; a later copy that brings paragraphs makes it postable.
        if result.outcome is not Outcome.skipped and result.paragraph_count == 0:
            where = offered.source.location if offered.source else "input"
            report.warnings.append(
                IngestWarning(
                    offered.ref_id,
                    where,
                    "no numbered paragraphs: stored with its metadata only, nothing to post",
                )
            )


def ingest_paths(
    paths: Sequence[Path] | Inputs,
    store: Store,
    *,
    permalinks: PermalinkTemplate = DEFAULT_PERMALINKS,
    scorer: BatchScorer | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest files and folders (recursively), the release CSV included."""
    inputs = paths if isinstance(paths, Inputs) else find_inputs(paths)
    report = IngestReport(failures=list(inputs.missing))
    if not _reader_process_pays(inputs, scorer):
        return ingest(read_files(inputs.files, permalinks, progress), store, scorer=scorer, report=report)
    # Started before ingest() starts its writer thread: a process is forked from this thread alone.
    reader = _ReaderProcess(inputs.files, permalinks, scorer)
    try:
        return ingest(reader.items(progress), store, scorer=scorer, report=report, saved=reader.saved)
    finally:
        reader.close()


# --- reading in a process of its own ------------------------------------------------------------------

READER_PROCESS_MIN_BYTES = 8_000_000  # below this (about 150 pages), a second process is not worth it


def _reader_process_pays(inputs: Inputs, scorer: BatchScorer | None) -> bool:
    """Whether reading in a second process would make this ingest faster.

    Only when scoring: without a scorer, the writer thread already overlaps saving (the database works
    without the GIL) with parsing, and a reader process would only add the pickling of every cable,
    about a tenth of such an ingest's CPU time. Only with fork, not spawn: a spawned process would
    import cablebot again, which costs more than it saves on all but the largest ingests; fork exists
    on Linux and the BSDs, elsewhere one process reads. Only for inputs large enough to be worth it.
    """
    return (
        scorer is not None
        and sys.platform.startswith(("linux", "freebsd"))
        and "fork" in multiprocessing.get_all_start_methods()
        and inputs.total_bytes >= READER_PROCESS_MIN_BYTES
    )


class _ReaderProcess:
    """`read_files` in a process of its own, so that parsing (pure Python) runs on a second CPU while
    this process scores and saves: with the GIL, the writer thread alone overlaps only with the
    database's own work. When the writer falls behind, and the scorer can `prepare` (see the module
    docstring), the reader also prepares the scores of the cables it reads, for the writer to do less
    (see _read_into). Cables come back in order, a few dozen per message; the pipe holds little, so
    the reader waits when the writer falls far behind, and memory stays bounded. Nothing here touches
    the database: each batch is still saved and scored in one transaction of this process.
    """

    CHUNK = 32  # items per message: few enough to keep the writer fed, enough to spread the pickling

    def __init__(
        self, files: Sequence[Path], permalinks: PermalinkTemplate, scorer: BatchScorer | None
    ) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        _widen(send)
        self._saved = context.RawValue("q", 0)  # cables saved so far: the reader reads it, see _read_into
        self._process = context.Process(
            target=_read_into,
            args=(list(files), permalinks, send, getattr(scorer, "prepare", None), self._saved),
            name="cablebot-ingest-reader",
            daemon=True,
        )
        self._process.start()
        send.close()  # the child holds the only sending end: its exit is then seen here as the end
        self._receive_prepared = getattr(scorer, "receive", None)

    def items(self, progress: Progress | None = None) -> Iterator[Cable | PreparedCable | ParseError]:
        while True:
            try:
                message = self._receive.recv()
            except EOFError:
                self._process.join()
                raise CablebotError(
                    "the process reading the input files stopped before the end "
                    f"(exit code {self._process.exitcode}); nothing after the last saved batch was saved"
                ) from None
            if message is None:
                return
            chunk, consumed = message
            for item in chunk:
                if type(item) is not tuple:
                    yield item
                elif len(item) == 2:
                    cable, sent = item
                    yield PreparedCable(
                        cable, self._receive_prepared(sent) if self._receive_prepared else None
                    )
                else:
                    yield ParseError(item[0], where=item[1], line=item[2])
            if progress and consumed:
                progress(consumed)

    def saved(self, cables: int) -> None:
        """Tell the reader that `cables` more of those it sent are saved (one thread calls this)."""
        self._saved.value += cables

    def close(self) -> None:
        self._receive.close()
        if self._process.is_alive():  # the ingest stopped early: the reader has nobody to read for
            self._process.terminate()
        self._process.join()


# The reader prepares a cable's scores only when the writer has this many cables it was sent and has not
# saved yet: then the writer has work in hand (a batch waiting besides the one it saves), and the time
# the reader spends preparing is time the writer spends less later. With fewer, the writer would wait.
PREPARE_BACKLOG = 1000


def _widen(pipe: Connection) -> None:
    """Let the pipe hold a whole message (on Linux: 64 KiB by default, up to 1 MiB without privileges).

    A message of 32 cables is a few hundred KiB. Through a 64 KiB pipe this process reads it in pieces,
    and before each next piece it must take the GIL back from the writer thread, which holds it for up to
    the switch interval (5 ms) while it scores; meanwhile the reader, blocked in the middle of its
    message, waits too. Measured on the 1,295 pages: the reader waited 0.3 s of a 1.4 s scored ingest,
    0.07 s with the wide pipe, and the ingest ran 15-25% faster."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass  # another system, or a lower limit: the pipe as it is


def _read_into(
    files: list[Path],
    permalinks: PermalinkTemplate,
    send: Connection,
    prepare: Callable[[Cable], Any] | None,
    saved: Any,
) -> None:
    """The reader process: every item of `files`, sent in chunks with the bytes consumed, then None. A
    cable travels alone, or as (cable, prepared) when `prepare` made something of it."""
    consumed = 0
    read = 0

    def advance(n: int) -> None:
        nonlocal consumed
        consumed += n

    chunk: list[Cable | tuple[Cable, Any] | tuple[str, str | None, int | None]] = []
    try:
        for item in read_files(files, permalinks, advance):
            if isinstance(item, ParseError):
                # A ParseError travels as its fields: an exception's pickle keeps only its message.
                chunk.append((item.reason, item.where, item.line))
            elif (
                prepare is not None
                and read - saved.value > PREPARE_BACKLOG
                and (prepared := _prepared(prepare, item)) is not None
            ):
                chunk.append((item, prepared))  # a plain tuple: a PreparedCable's pickle names its class
            else:
                chunk.append(item)
            read += 1
            if len(chunk) >= _ReaderProcess.CHUNK:
                send.send((chunk, consumed))
                chunk, consumed = [], 0
        send.send((chunk, consumed))
        send.send(None)
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the ingest stopped listening
    finally:
        send.close()


def _prepared(prepare: Callable[[Cable], Any], cable: Cable) -> Any:
    """What `prepare` makes of a cable; None when it fails: the scorer then scores the cable whole, in the
    ingesting process, where a failure (the same one, surely) stops the ingest with its real cause."""
    try:
        return prepare(cable)
    except Exception:
        return None


def find_scorer(config: Config) -> BatchScorer | None:
    """The picker's scorer, when bot.picks provides one (see the module docstring)."""
    try:
        picks = importlib.import_module("bot.picks")
    except ModuleNotFoundError as e:
        if e.name == "bot.picks":
            return None
        raise
    make = getattr(picks, "batch_scorer", None)
    return make(config) if make is not None else None
