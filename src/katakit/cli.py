"""``katakit`` on the command line: argument parsing only; each command calls the engine."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from katakit import i18n, statements
from katakit.catalog import Catalog, CatalogError, Kata, coverage, find_root, load_questions
from katakit.i18n import _

DESCRIPTION = """\
Auto-graded coding katas: fill in a stub under exercises/<topic>/, grade it, read what is wrong.

for learners:
  katakit list bn                  the katas of a topic, their points and what is left to do
  katakit show bn/batchnorm_forward   a kata's statement (--lang zh: in Chinese)
  pytest exercises/bn              grade a topic (or one kata file); a score table at the end
  katakit hint bn/batchnorm_forward   a nudge; --level 2 for the next one

for instructors: release, graders-bundle, nbgrader, gradescope-bundle, batch-grade, stats
for authors: verify (the self-check), check, coverage, mutants

Language: --lang zh, or KATAKIT_LANG=zh, or a zh_* locale.
"""


def _root(args: argparse.Namespace) -> Path:
    start = Path(args.root) if args.root else Path(os.environ.get("KATAKIT_ROOT", Path.cwd()))
    root = find_root(start)
    if root is None:
        raise CatalogError(
            f"no katakit project at or above {start}: run from a folder that holds "
            "exercises/<topic>/katas.toml, or pass --root"
        )
    return root


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


def cmd_list(args: argparse.Namespace) -> int:
    from katakit.target import resolve_target

    catalog = Catalog.load(_root(args))
    target = resolve_target(args.target, catalog.root)
    rows = [(_("id"), _("title"), _("points"), _("level"), _("status"))]
    for kata in catalog.select(args.topics):
        path = target.locate(kata.id)
        if path is None:
            status = _("missing")
        elif "NotImplementedError" in path.read_text(encoding="utf-8"):
            status = _("to do")
        else:
            status = _("written")
        title = i18n.pick(kata.title, kata.title_zh)
        rows.append((kata.id, title, str(kata.points), "★" * kata.difficulty, status))
    print(_table(rows, flexible=1, width=args.width))
    print(
        _("\ntarget: {target}; `katakit show KATA` prints a statement").format(target=target.name)
    )
    return 0


def _table(rows: list[tuple[str, ...]], flexible: int, width: int) -> str:
    """Rows in columns within ``width`` terminal columns: column ``flexible`` is cut to fit."""
    from katakit.reporting import cut, display_width, pad

    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    spare = width - (sum(widths) + 2 * (len(widths) - 1))
    if spare < 0:
        widths[flexible] = max(widths[flexible] + spare, 8)
    lines = []
    for row in rows:
        cells = [cut(cell, widths[i]) if i == flexible else cell for i, cell in enumerate(row)]
        lines.append("  ".join(pad(c, w) for c, w in zip(cells, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _kata(catalog: Catalog, name: str) -> Kata:
    """A kata by id, or by its bare name when that is unique; else say which ids are close."""
    import difflib

    if name.strip("/") in catalog.by_id:
        return catalog.by_id[name.strip("/")]
    same_name = [kata for kata in catalog.katas if kata.name == name]
    if len(same_name) == 1:
        return same_name[0]
    close = difflib.get_close_matches(name, list(catalog.by_id), n=3, cutoff=0.5)
    close += [
        kata.id for kata in catalog.katas if name and name in kata.id and kata.id not in close
    ]
    suggestion = _("; did you mean {names}?").format(names=", ".join(close[:3])) if close else ""
    raise CatalogError(
        _("no kata '{name}'{suggestion} (`katakit list` shows the ids)").format(
            name=name, suggestion=suggestion
        )
    )


def cmd_next(args: argparse.Namespace) -> int:
    from katakit import journal

    catalog = Catalog.load(_root(args))
    kata = journal.next_kata(catalog, args.topics)
    if kata is None:
        print(_("every kata here has full marks"))
        return 0
    best = journal.read(catalog.root).get(kata.id)
    so_far = _("best so far {score}/{max_score}").format(**best) if best else _("not graded yet")
    title = i18n.pick(kata.title, kata.title_zh)
    print(f"{kata.id} · {title} · {so_far}")
    print(
        _("statement: katakit show {kata}; write it in {path}").format(
            kata=kata.id, path=catalog.files(kata).stub.relative_to(catalog.root)
        )
    )
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    import time

    from katakit import journal
    from katakit.reporting import score_table
    from katakit.target import resolve_target
    from katakit.watch import Watcher

    catalog = Catalog.load(_root(args))
    katas = catalog.select(args.selection)
    watcher = Watcher(catalog, katas, resolve_target(args.target, catalog.root))
    watcher.warm()
    clear = "\x1b[2J\x1b[H" if sys.stdout.isatty() else ""
    watching = _("watching {count} katas: save one to grade it (Ctrl-C to stop)")
    print(watching.format(count=len(katas)), flush=True)
    seen_at = [time.monotonic()]  # when the last save was noticed

    def show(report) -> None:
        summary = _("graded in {seconds:.2f} s").format(seconds=time.monotonic() - seen_at[0])
        following = journal.next_kata(catalog, args.selection)
        if following is not None:
            summary += " · " + _("next: {kata}").format(kata=following.id)
        print(clear + score_table(report) + "\n\n" + summary, flush=True)

    watcher.run(show, on_event=lambda: seen_at.__setitem__(0, time.monotonic()))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    catalog = Catalog.load(_root(args))
    kata = _kata(catalog, args.kata)
    files = catalog.files(kata)
    title = i18n.pick(kata.title, kata.title_zh)
    print(f"{kata.id} · {title} · " + _("{points} points").format(points=kata.points))
    print()
    print(statements.statement(files, i18n.language()))
    print()
    print(_("write it in {path}").format(path=files.stub.relative_to(catalog.root)))
    return 0


def _render(report, format: str) -> str:
    """The report in one of ``grade``'s formats."""
    from katakit.reporting import score_table, to_json

    if format == "gradescope":
        from katakit.exporters.gradescope import results

        return json.dumps(results(report), indent=2, ensure_ascii=False)
    if format == "classroom":
        from katakit.exporters.classroom import classroom_result

        return json.dumps(classroom_result(report), ensure_ascii=False)
    if format == "junit":
        from katakit.exporters.junit import junit_xml

        return junit_xml(report)
    return to_json(report) if format == "json" else score_table(report)


def cmd_grade(args: argparse.Namespace) -> int:
    from katakit.runner import grade
    from katakit.target import resolve_target

    catalog = Catalog.load(_root(args))
    katas = catalog.select(args.selection)
    target = resolve_target(args.target, catalog.root)
    limits = None if args.no_isolate else _limits(args)
    report = grade(
        catalog, katas, target, echo=args.verbose, test_timeout=args.timeout, limits=limits
    )
    rendered = _render(report, args.format)
    if args.github_output:
        _github_output(args.github_output, rendered)
        if args.output:
            _write(rendered, args.output)
        print(_render(report, "text"))  # the step's log: the score table
    else:
        _write(rendered, args.output)
    full_marks = report.score == report.max_score
    return 0 if full_marks or args.exit_zero else 1


def _github_output(name: str, rendered: str) -> None:
    """Append ``name=<rendered, base64>`` to the file GitHub Actions names in ``$GITHUB_OUTPUT``
    (a step output, as the Classroom reporter reads a runner's ``result``)."""
    import base64

    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        raise ValueError("--github-output needs the GITHUB_OUTPUT variable GitHub Actions sets")
    encoded = base64.b64encode(rendered.encode("utf-8")).decode("ascii")
    with open(path, "a", encoding="utf-8") as output:
        output.write(f"{name}={encoded}\n")


def _limits(args: argparse.Namespace):
    from katakit.isolation import Limits

    return Limits(kata_seconds=args.kata_timeout, memory_mb=args.memory)


def cmd_batch_grade(args: argparse.Namespace) -> int:
    from katakit.batch import batch_grade, learners, parse_shard
    from katakit.progress import Progress

    catalog = Catalog.load(_root(args))
    katas = catalog.select(args.select)
    submissions, out = Path(args.submissions), Path(args.out)
    if not submissions.is_dir():
        raise CatalogError(f"{submissions} is not a folder of learner submissions")
    shard = parse_shard(args.shard)
    force = True if args.force == [] else set(args.force or ())
    count = len(learners(submissions, shard))
    if args.only:
        count = len([p for p in learners(submissions, shard) if p.name in set(args.only)])
    with Progress(count, "grading learners") as progress:
        outcomes = batch_grade(
            catalog,
            katas,
            submissions,
            out,
            jobs=args.jobs,
            shard=shard,
            force=force,
            only=args.only,
            limits=None if args.no_isolate else _limits(args),
            test_timeout=args.timeout,
            on_done=progress.advance,
        )
    crashed = [outcome for outcome in outcomes if outcome.status == "crashed"]
    skipped = sum(1 for outcome in outcomes if outcome.status == "skipped")
    graded = len(outcomes) - skipped - len(crashed)
    print(f"graded {graded}, skipped {skipped} already graded, crashed {len(crashed)}")
    print(f"gradebook: {out / 'gradebook.csv'}")
    for outcome in crashed:
        print(f"  {outcome.learner}: crashed: {outcome.error}", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from katakit.stats import write_stats

    text, page = write_stats(Path(args.grades), Path(args.html) if args.html else None)
    print(text)
    print(f"\npage: {page}")
    return 0


def cmd_gradebook(args: argparse.Namespace) -> int:
    from katakit.batch import write_gradebook

    path = write_gradebook(Catalog.load(_root(args)), Path(args.out))
    print(f"gradebook: {path}")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from katakit.exporters.release import leaks, release

    catalog = Catalog.load(_root(args))
    katas = catalog.select(args.selection)
    out = release(
        catalog,
        katas,
        Path(args.out),
        title=args.title,
        graders_repo=args.graders_repo,
        lang=args.lang or "en",
    )
    found = leaks(catalog, out)
    for problem in found:
        print(f"leak: {problem}", file=sys.stderr)
    if found:
        return 1
    print(f"release of {len(katas)} katas written to {out}; leak check clean")
    print(
        f"next: push it as the Classroom template; graders come from {args.graders_repo} "
        "(`katakit graders-bundle` writes that repository)"
    )
    return 0


def cmd_graders_bundle(args: argparse.Namespace) -> int:
    from katakit.exporters.graders_bundle import bundle_leaks, graders_bundle

    catalog = Catalog.load(_root(args))
    katas = catalog.select(args.selection)
    out = graders_bundle(catalog, katas, Path(args.out))
    found = bundle_leaks(catalog, out)
    for problem in found:
        print(f"leak: {problem}", file=sys.stderr)
    if found:
        return 1
    print(f"graders of {len(katas)} katas written to {out}; no solutions, no mutants")
    print(
        "next: push it as a private repository of its own (the release's --graders-repo) and "
        "add a read-only token to it as the KATAKIT_GRADERS_TOKEN secret"
    )
    return 0


def cmd_nbgrader(args: argparse.Namespace) -> int:
    from katakit.exporters.nbgrader import export_nbgrader

    catalog = Catalog.load(_root(args))
    written = export_nbgrader(
        catalog,
        catalog.select(args.selection),
        Path(args.course),
        args.assignment,
        course_id=args.course_id,
        exchange=Path(args.exchange).resolve() if args.exchange else None,
        lang=args.lang or "en",
    )
    print(f"{len(written)} source notebooks in {Path(args.course) / 'source' / args.assignment}")
    print(
        f"next: cd {args.course} && nbgrader generate_assignment {args.assignment} && "
        f"nbgrader release_assignment {args.assignment}"
    )
    return 0


def cmd_gradescope_bundle(args: argparse.Namespace) -> int:
    from katakit.exporters.gradescope import bundle

    catalog = Catalog.load(_root(args))
    path = bundle(catalog, args.selection, Path(args.out))
    print(f"Gradescope autograder written to {path}: upload it as a zip autograder")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from katakit.verify import verify, verify_table

    catalog = Catalog.load(_root(args))
    results = verify(catalog, catalog.select(args.selection), every_test=args.every_test)
    print(verify_table(results, every_test=args.every_test))
    failures = [check for check in results if check.problems]
    print(f"\n{len(results) - len(failures)} of {len(results)} katas pass the self-check")
    return 1 if failures else 0


def cmd_mutants_import(args: argparse.Namespace) -> int:
    from katakit.mutation_import import import_modules

    catalog = Catalog.load(_root(args))
    imported, refused = import_modules(catalog, [Path(path) for path in args.modules])
    for done in imported:
        where = done.patch_file.relative_to(catalog.root)
        print(
            f"{done.mutant.kata.id}: '{done.mutant.name}' is now {len(done.mutant.replacements)} "
            f"replacement(s) in {where} (module of {done.lines} lines deleted)"
        )
    for line in refused:
        print(line)
    print(f"\n{len(imported)} imported, {len(refused)} kept as modules")
    return 1 if refused else 0


def cmd_mutants_build(args: argparse.Namespace) -> int:
    from katakit.mutation import PatchError, build, mutants_of

    catalog = Catalog.load(_root(args))
    stale = 0
    for kata in catalog.select(args.selection):
        for mutant in mutants_of(catalog, kata):
            try:
                print(build(catalog, mutant, Path(args.out)))
            except PatchError as exc:
                stale += 1
                print(f"{kata.id}: mutant '{mutant.name}' no longer applies: {exc}")
    return 1 if stale else 0


def cmd_coverage(args: argparse.Namespace) -> int:
    catalog = Catalog.load(_root(args))
    rows = coverage(catalog, load_questions())
    covered = sum(1 for _, katas in rows if katas)
    if args.format == "json":
        document = {
            "questions": [{"id": q.id, "title": q.title, "katas": katas} for q, katas in rows],
            "covered": covered,
            "total": len(rows),
        }
        _write(json.dumps(document, indent=2, ensure_ascii=False), args.output)
        return 0
    lines = [f"{q.id}  {', '.join(katas) or '-'}  {q.title}" for q, katas in rows]
    uncovered = [q.id for q, katas in rows if not katas]
    lines.append(f"\n{covered} of {len(rows)} questions covered")
    if uncovered:
        lines.append("uncovered: " + " ".join(uncovered))
    _write("\n".join(lines), args.output)
    return 0


def cmd_hint(args: argparse.Namespace) -> int:
    catalog = Catalog.load(_root(args))
    kata = _kata(catalog, args.kata)
    hints = kata.hints_zh if i18n.language() == "zh" and kata.hints_zh else kata.hints
    level = max(1, min(args.level, len(hints)))
    for number, hint in enumerate(hints[:level], start=1):
        print(_("hint {number}/{total}: {hint}").format(number=number, total=len(hints), hint=hint))
    if level < len(hints):
        print(
            _("\nstill stuck? `katakit hint {kata} --level {level}`").format(
                kata=kata.id, level=level + 1
            )
        )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from katakit.treecheck import check_tree

    problems = check_tree(_root(args))
    for problem in problems:
        print(problem)
    print("kata tree ok" if not problems else f"\n{len(problems)} problem(s) in the kata tree")
    return 1 if problems else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Start one contained learner process and say which containment layers hold here."""
    import tempfile

    from katakit.sandbox.contain import LAYERS
    from katakit.sandbox.remote import Budget, LearnerProcess

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "probe.py"
        path.write_text("")
        learner = LearnerProcess(Budget())
        try:
            learner.load("doctor/probe", path, [], False)
            held = set(learner.held())
        finally:
            learner.close()
    for layer, meaning in LAYERS.items():
        print(f"{'holds' if layer in held else 'absent':<7} {layer:<11} {meaning}")
    missing = [layer for layer in LAYERS if layer not in held]
    if missing:
        print(
            "\nthe layers marked absent need Linux namespaces (root, or unprivileged user "
            "namespaces), root, or seccomp; see docs/sandbox.md"
        )
    return 0


def _add_limit_options(parser: argparse.ArgumentParser) -> None:
    from katakit.isolation import DEFAULT_LIMITS

    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per test")
    parser.add_argument(
        "--kata-timeout",
        type=float,
        default=DEFAULT_LIMITS.kata_seconds,
        help="seconds all of one kata's tests may take (default %(default)s)",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=DEFAULT_LIMITS.memory_mb,
        help="MiB one kata may allocate (default %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="katakit",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", help="project folder (default: found from the current folder)")
    parser.add_argument(
        "--lang",
        choices=i18n.LANGUAGES,
        help="language of statements, hints, tables and messages (default: KATAKIT_LANG, "
        "else the locale, else en)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="katas with their points and status")
    listing.add_argument("topics", nargs="*", metavar="TOPIC", help="topics to list (default all)")
    listing.add_argument(
        "--target",
        default=os.environ.get("KATAKIT_TARGET", "exercises"),
        help="whose files say what is done: exercises (default), solutions, or a folder",
    )
    listing.add_argument(
        "--width", type=int, default=80, help="columns to fit in (default %(default)s)"
    )
    listing.set_defaults(run=cmd_list)

    watching = commands.add_parser(
        "watch", help="grade a kata again each time its file is saved (one warm process)"
    )
    watching.add_argument(
        "selection", nargs="*", metavar="SELECTION", help="topics or kata ids (default all)"
    )
    watching.add_argument(
        "--target",
        default=os.environ.get("KATAKIT_TARGET", "exercises"),
        help="the folder to watch: exercises (default) or a folder of <topic>/<kata>.py",
    )
    watching.set_defaults(run=cmd_watch)

    following = commands.add_parser(
        "next", help="the first kata not yet at full marks, in learning order"
    )
    following.add_argument("topics", nargs="*", metavar="TOPIC", help="topics (default all)")
    following.set_defaults(run=cmd_next)

    showing = commands.add_parser("show", help="print a kata's statement")
    showing.add_argument("kata", metavar="KATA", help="a kata id (bn/batchnorm_forward) or name")
    showing.set_defaults(run=cmd_show)

    grading = commands.add_parser("grade", help="run the hidden graders and report scores")
    grading.add_argument("selection", nargs="*", metavar="SELECTION", help="topics or kata ids")
    grading.add_argument(
        "--target",
        default=os.environ.get("KATAKIT_TARGET", "exercises"),
        help="exercises (default), solutions, or a folder of <topic>/<kata>.py",
    )
    grading.add_argument(
        "--format",
        choices=("text", "json", "gradescope", "junit", "classroom"),
        default="text",
        help="the score table (default), katakit's JSON, or a tool's own format",
    )
    grading.add_argument(
        "--github-output",
        metavar="NAME",
        help="append NAME=<the report, base64> to $GITHUB_OUTPUT (Classroom: --format classroom "
        "--github-output result) and print the score table",
    )
    grading.add_argument("--output", metavar="FILE", help="write the report here, not to stdout")
    _add_limit_options(grading)
    grading.add_argument(
        "--no-isolate",
        action="store_true",
        help="run learner code in this process, for a debugger (no containment)",
    )
    grading.add_argument("--exit-zero", action="store_true", help="exit 0 even without full marks")
    grading.add_argument("-v", "--verbose", action="store_true", help="show pytest's output too")
    grading.set_defaults(run=cmd_grade)

    checking = commands.add_parser(
        "verify", help="self-check: reference full, stub 0, mutants lose"
    )
    checking.add_argument(
        "selection", nargs="*", metavar="SELECTION", help="topics or kata ids (default all)"
    )
    checking.add_argument(
        "--every-test",
        action="store_true",
        help="run each mutant through every test and list the tests it fails and the points it "
        "loses (one mistake should cost the tests of its own promise only); slower",
    )
    checking.set_defaults(run=cmd_verify)

    mutating = commands.add_parser("mutants", help="mutant patches: import modules, build them")
    mutant_commands = mutating.add_subparsers(dest="mutants_command", required=True)
    importing = mutant_commands.add_parser(
        "import", help="turn complete mutant modules into patch entries (deletes each module)"
    )
    importing.add_argument(
        "modules",
        nargs="+",
        metavar="graders/TOPIC/mutants/KATA__NAME.py",
        help="complete mutant modules to turn into patch entries",
    )
    importing.set_defaults(run=cmd_mutants_import)
    building = mutant_commands.add_parser(
        "build", help="write every mutant's complete module to a folder, to read or debug"
    )
    building.add_argument("out", metavar="OUT", help="folder to write the built mutants to")
    building.add_argument(
        "selection", nargs="*", metavar="SELECTION", help="topics or kata ids (default all)"
    )
    building.set_defaults(run=cmd_mutants_build)

    covering = commands.add_parser("coverage", help="which katas cover each seed question")
    covering.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json"
    )
    covering.add_argument("--output", metavar="FILE", help="write it here, not to stdout")
    covering.set_defaults(run=cmd_coverage)

    hinting = commands.add_parser("hint", help="progressive hints for one kata")
    hinting.add_argument("kata", metavar="KATA", help="a kata id, e.g. bn/batchnorm_forward")
    hinting.add_argument("--level", type=int, default=1, help="how many hints to show")
    hinting.set_defaults(run=cmd_hint)

    batch = commands.add_parser("batch-grade", help="grade a folder of learner submissions")
    batch.add_argument("submissions", metavar="SUBMISSIONS_DIR", help="one folder per learner")
    batch.add_argument("--out", required=True, metavar="DIR", help="reports and gradebook.csv")
    batch.add_argument("--select", nargs="*", default=[], metavar="SELECTION", help="topics/ids")
    batch.add_argument(
        "--jobs", type=int, default=min(os.cpu_count() or 1, 8), help="learners in parallel"
    )
    batch.add_argument("--shard", default="1/1", metavar="i/n", help="grade every n-th learner")
    batch.add_argument(
        "--force",
        nargs="*",
        metavar="NAME",
        help="grade again learners already graded: everyone, or the learners named",
    )
    batch.add_argument(
        "--only", nargs="+", metavar="NAME", help="grade just these learners (again if graded)"
    )
    _add_limit_options(batch)
    batch.add_argument(
        "--no-isolate",
        action="store_true",
        help="run learner code in each learner's grading process (no containment)",
    )
    batch.set_defaults(run=cmd_batch_grade)

    statistics = commands.add_parser(
        "stats", help="class analytics from a batch: scores, states, mistakes; an HTML page"
    )
    statistics.add_argument("grades", metavar="GRADES_DIR", help="a batch-grade --out folder")
    statistics.add_argument(
        "--html", metavar="FILE", help="where to write the page (default GRADES_DIR/stats.html)"
    )
    statistics.set_defaults(run=cmd_stats)

    releasing = commands.add_parser("release", help="write a learner repository (no solutions)")
    releasing.add_argument("out", metavar="OUT", help="a new folder")
    releasing.add_argument(
        "selection", nargs="*", metavar="SELECTION", help="topics or kata ids (default all)"
    )
    releasing.add_argument(
        "--title", default="katakit assignment", help="the learner README's title"
    )
    releasing.add_argument(
        "--graders-repo",
        default="OWNER/katakit-graders",
        help="owner/name of the private graders-only repository (`katakit graders-bundle`) the "
        "Classroom workflow checks out",
    )
    releasing.set_defaults(run=cmd_release)

    bundling = commands.add_parser(
        "graders-bundle",
        help="graders, manifests, misconceptions and engine for Classroom (no solutions/mutants)",
    )
    bundling.add_argument("out", metavar="OUT", help="a new folder")
    bundling.add_argument(
        "selection", nargs="*", metavar="SELECTION", help="topics or kata ids (default all)"
    )
    bundling.set_defaults(run=cmd_graders_bundle)

    notebooks = commands.add_parser("nbgrader", help="nbgrader source notebooks, one per kata")
    notebooks.add_argument("course", metavar="COURSE_DIR", help="the nbgrader course folder")
    notebooks.add_argument(
        "--assignment", required=True, metavar="NAME", help="the nbgrader assignment's name"
    )
    notebooks.add_argument(
        "selection", nargs="*", metavar="SELECTION", help="topics or kata ids (default all)"
    )
    notebooks.add_argument(
        "--course-id",
        default="katakit",
        help="nbgrader's course id, written to a new nbgrader_config.py (default %(default)s)",
    )
    notebooks.add_argument(
        "--exchange",
        metavar="DIR",
        help="the exchange folder for release/fetch/submit/collect (default nbgrader's, "
        "/srv/nbgrader/exchange)",
    )
    notebooks.set_defaults(run=cmd_nbgrader)

    scope = commands.add_parser("gradescope-bundle", help="the Gradescope autograder zip")
    scope.add_argument("out", metavar="OUT.zip", help="the zip to write")
    scope.add_argument(
        "selection", nargs="*", metavar="SELECTION", help="topics or kata ids (default all)"
    )
    scope.set_defaults(run=cmd_gradescope_bundle)

    book = commands.add_parser("gradebook", help="rebuild gradebook.csv from a batch's reports")
    book.add_argument("out", metavar="DIR", help="a batch-grade --out folder")
    book.set_defaults(run=cmd_gradebook)

    tree = commands.add_parser("check", help="static checks of the kata tree (pre-commit)")
    tree.set_defaults(run=cmd_check)

    doctor = commands.add_parser(
        "doctor", help="which containment layers hold for learner code on this machine"
    )
    doctor.set_defaults(run=cmd_doctor)
    for command in commands.choices.values():
        # also after the command (`katakit release OUT --lang zh`); SUPPRESS keeps a --lang
        # given before the command
        command.add_argument(
            "--lang",
            choices=i18n.LANGUAGES,
            default=argparse.SUPPRESS,
            help="language (release, nbgrader: of the statements in the stubs)",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # argparse stops filling a positional list at the first option: `nbgrader COURSE --assignment
    # A bn/x bn/y` leaves the kata ids over; they belong to the selection.
    if extra and hasattr(args, "selection") and not any(e.startswith("-") for e in extra):
        args.selection = [*args.selection, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.lang:
        i18n.set_language(args.lang)
    try:
        return args.run(args)
    except (CatalogError, ValueError) as exc:
        print(f"katakit: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`katakit list | head`): stop quietly, as Unix tools do; point
        # stdout at /dev/null so that the interpreter's final flush does not complain again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
