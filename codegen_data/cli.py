"""The ``codegen-data`` command line."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import click

from . import __version__
from .task import DIFFICULTY_CHOICES, ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _fail(message: str) -> "click.ClickException":
    return click.ClickException(message)


def _usage(message: str) -> "click.ClickException":
    """A usage error (bad option, config or output directory): exit status 2."""
    exc = click.ClickException(message)
    exc.exit_code = 2
    return exc


MAX_WORKERS_PER_CPU = 4
"""``--workers`` above this many per CPU is lowered to it: each worker is a process that wants a core."""


def _workers(value: int | None, *, items: int | None = None) -> int:
    """``--workers`` checked (at least 1: else a usage error) and lowered, silently, to at most
    :data:`MAX_WORKERS_PER_CPU` per CPU and, when ``items`` is known, one per item: never more
    processes than there is work for."""
    cpus = os.cpu_count() or 1
    workers = value if value is not None else cpus
    if workers < 1:
        raise _usage(f"--workers must be at least 1, got {workers}")
    workers = min(workers, MAX_WORKERS_PER_CPU * cpus)
    return max(1, min(workers, items)) if items is not None else workers


def _output_file(text: str | None, *, inputs: tuple = (), datasets: tuple = ()) -> Path | None:
    """A user-named output file checked before any work (see :func:`codegen_data._files.output_file`):
    refused with a one-line usage error (exit 2) when it cannot or must not be written."""
    from ._files import OutputPathError, output_file

    if text is None:
        return None
    try:
        output_file(text, inputs=inputs, datasets=datasets)
    except OutputPathError as exc:
        raise _usage(str(exc)) from None
    return Path(text)


def _output_dir(text: str, *, datasets: tuple = ()) -> Path:
    """A user-named output directory checked before any work (one-line usage error, exit 2)."""
    from ._files import OutputPathError, output_dir

    try:
        output_dir(text, datasets=datasets)
    except OutputPathError as exc:
        raise _usage(str(exc)) from None
    return Path(text)


_FILE_HELP = (" A symbolic link is followed (the file it points to is replaced; the link stays). Refused: '-', a path "
              "that exists and is not a regular file (directory, device, FIFO)")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _shown(text: str) -> str:
    """``text`` with control characters (terminal escape sequences, from a predictions file's ids or a
    model's errors) written as escapes, so a report printed to a terminal cannot drive it."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class _Group(click.Group):
    """Every user error ends in one line on stderr and a non-zero exit (usage errors too)."""

    def main(self, *args, **kwargs):  # type: ignore[override]
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `codegen-data`: show the help
                click.echo(exc.format_message())
                sys.exit(0)
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="codegen-data")
def main() -> None:
    """Make training and evaluation data for code models whose every label is proven by execution."""


@main.command("list")
def list_tasks() -> None:
    """List the tasks, what each makes, and its config options (for --config)."""
    from .registry import all_tasks

    for name, cls in all_tasks().items():
        click.echo(f"{name}: {cls.description}")
        for option, type_name, default in cls.config_class.options():
            click.echo(f"    {option:<22} {type_name:<10} default {default!r}")
        click.echo()


def _load_config(path: str | None) -> dict:
    if path is None:
        return {}
    try:
        with open(path, "rb") as f:
            data = f.read()
        # A byte-order mark (some Windows editors write one) is not TOML, but it is no reason to refuse a file.
        return tomllib.loads(data.decode("utf-8").removeprefix("\ufeff"))
    except FileNotFoundError:
        raise _usage(f"config file not found: {path}") from None
    except OSError as exc:
        raise _usage(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise _usage(f"config file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise _usage(f"config file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


@main.command()
@click.argument("tasks")
@click.option("-n", "n", type=int, required=True, help="Number of kept (verified) samples, shared by the tasks.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed; the same seed gives the same bytes.")
@click.option("-o", "--out", "out", type=click.Path(file_okay=False), required=True,
              help="Output directory (created; must be empty or new unless --overwrite or --resume).")
@click.option("--difficulty", type=click.Choice(DIFFICULTY_CHOICES), default="mixed", show_default=True,
              help="Difficulty level of every item, or an even mix.")
@click.option("--workers", type=int, default=None,
              help=f"Worker processes [default: number of CPUs]; at most {MAX_WORKERS_PER_CPU} per CPU and one per "
                   "sample (-n) are started.")
@click.option("--config", "config_path", type=str, default=None,
              help="TOML file with one table per task, e.g. [text_to_sql] min_rows = 10 (see `codegen-data list`).")
@click.option("--splits", "splits_text", type=str, default="test=1",
              help="Split ratios, e.g. train=0.9,validation=0.05,test=0.05; items go to splits by structural group. [default: test=1]")
@click.option("--keep-duplicates", is_flag=True, help="Keep exact and structural duplicates (dropped by default).")
@click.option("--overwrite", is_flag=True,
              help="Replace the dataset or interrupted run in OUT (the old dataset stays until the new one is complete).")
@click.option("--resume", is_flag=True,
              help="Continue the interrupted run in OUT (same command); the result is byte-identical to an uninterrupted run.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: --workers processes; ray: shards as Ray tasks (pip install 'codegen-data[ray]'). Same bytes.")
@click.option("--ray-address", default=None,
              help="Ray cluster to join (e.g. ray://head:10001 or auto) [default: start a local Ray instance].")
def generate(tasks: str, n: int, seed: int, out: str, difficulty: str, workers: int | None, config_path: str | None,
             splits_text: str, keep_duplicates: bool, overwrite: bool, resume: bool, engine: str,
             ray_address: str | None) -> None:
    """Generate, execute, verify and export TASK[,TASK...] into OUT.

    With several tasks, N is shared by the tasks' `weight` options (equal by default). Outcomes are
    committed to OUT/.partial as the run goes; after a crash, kill or Ctrl-C, rerun the same command
    with --resume.
    """
    from .export.dataset import OutputExists
    from .pipeline import BROKEN_AFTER, parse_splits, plan_generation, run_generation

    names = [t.strip() for t in tasks.split(",") if t.strip()]
    if not names:
        raise _usage(f"no task given (got {tasks!r}); name one or more, e.g. text_to_sql,py_output (see `codegen-data list`)")
    workers = _workers(workers, items=n if n >= 1 else None)
    out = _output_dir(out)
    if ray_address is not None and engine != "ray":
        raise _usage("--ray-address needs --engine ray")
    if overwrite and resume:
        raise _usage("--overwrite and --resume exclude each other: --resume continues the run in OUT, --overwrite starts over")
    try:
        plan = plan_generation(names, n=n, seed=seed, difficulty=difficulty,
                               config=_load_config(config_path), config_file=config_path,
                               splits=parse_splits(splits_text), keep_duplicates=keep_duplicates)
    except ConfigError as exc:
        raise _usage(str(exc)) from None
    bar = None
    if sys.stderr.isatty():
        bar = click.progressbar(length=n, label="generating", file=sys.stderr)
        bar.__enter__()
    mode = "overwrite" if overwrite else "resume" if resume else "new"
    try:
        summary = run_generation(plan, out, workers=workers, progress=bar.update if bar else None, mode=mode,
                                 engine=engine, ray_address=ray_address)
    except OutputExists as exc:
        raise _usage(str(exc)) from None
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        if bar is not None:
            bar.__exit__(None, None, None)
            bar = None
        click.echo(f"\ninterrupted: the finished part is saved in {out}/.partial; "
                   "run the same command with --resume to continue", err=True)
        sys.exit(130)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    kept = sum(summary.kept.values())
    resumed = f", {summary.resumed_records} of them resumed" if summary.resumed_records else ""
    click.echo(f"kept {kept} of {summary.candidates} candidates{resumed} in {summary.seconds:.1f}s "
               f"({summary.samples_per_second:.1f} samples/s) -> {out}")
    for name, count in summary.kept.items():
        agreement = summary.agreement.get(name)
        extra = f", both engines agree on {agreement:.1%}" if agreement is not None else ""
        click.echo(f"  {name}: {count} kept{extra}")
    if summary.rejected:
        click.echo("  rejected: " + ", ".join(f"{r} {c}" for r, c in summary.rejected.most_common()))
    if summary.given_up:
        raise _fail(f"{', '.join(summary.given_up)}: the first {BROKEN_AFTER} candidates all failed with an internal "
                    f"error, first {_first_reject(out, summary.given_up[0])!r} (a bug, or a dependency version "
                    f"codegen-data does not work with); all are in {out}/rejects.jsonl")
    if not summary.complete:
        raise _fail(f"only {kept} of {n} samples could be verified; see {out}/rejects.jsonl for why")


def _first_reject(out: Path, task: str) -> str:
    """The detail of ``task``'s first reject in ``out/rejects.jsonl`` ("" if there is none to read)."""
    try:
        with open(out / "rejects.jsonl", encoding="utf-8") as lines:
            for line in lines:
                reject = json.loads(line)
                if reject.get("task") == task:
                    return str(reject.get("detail", ""))
    except (OSError, ValueError, AttributeError):
        pass
    return ""


@main.command()
def doctor() -> None:
    """Show which sandbox protection layers are active on this machine, and the engine versions."""
    from .export.dataset import engine_versions
    from .sandbox import sandbox_layers
    from .sql import sqlglot_build

    click.echo("engines:")
    for name, version in engine_versions().items():
        click.echo(f"  {name:<10} {version}" + (f" ({sqlglot_build()})" if name == "sqlglot" else ""))
    click.echo("program sandbox layers:")
    for layer, state in sandbox_layers().items():
        if state is True:
            mark = "active"
        elif state is False:
            mark = "inactive"
        else:
            mark = f"inactive ({state})" if not str(state).startswith("active") else str(state)
        click.echo(f"  {layer:<22} {mark}")
    click.echo("SQL sandbox: DuckDB with external access, extension loading and config changes off (always on)")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--workers", type=int, default=2, show_default=True,
              help=f"Worker processes re-executing records (at most {MAX_WORKERS_PER_CPU} per CPU are started).")
def verify(directory: Path, workers: int) -> None:
    """Check DIRECTORY's file hashes and re-execute every record's reference from its files alone.

    Exits 1, naming the records, if any label no longer reproduces.
    """
    from .audit import verify_dataset

    if not (directory / "manifest.json").is_file():
        raise _usage(_not_a_dataset(directory))
    workers = _workers(workers)
    bar = click.progressbar(length=_record_count(directory), label="verifying", file=sys.stderr) if sys.stderr.isatty() else None
    if bar is not None:
        bar.__enter__()
    try:
        result = verify_dataset(directory, workers=workers, progress=bar.update if bar else None)
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(result.report())
    sys.exit(result.exit_code)


def _record_count(directory: Path) -> int:
    import json

    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        return sum(s.get("records", 0) for s in manifest.get("splits", {}).values())
    except (OSError, ValueError, AttributeError):
        return 0


def _not_a_dataset(directory: Path) -> str:
    """Why ``directory`` (which has no manifest.json) is not a dataset, in one line."""
    if (directory / ".partial").is_dir():
        return (f"{directory} holds an unfinished run, not a dataset (no manifest.json yet): finish it by "
                "running its generate command again with --resume")
    return f"{directory} is not a codegen-data dataset (no manifest.json)"


def _dataset_dir(directory: Path) -> Path:
    """DIRECTORY when it holds an intact dataset; else a one-line error."""
    from .audit import require_intact

    if not (directory / "manifest.json").is_file():
        raise _usage(_not_a_dataset(directory))
    try:
        require_intact(directory)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    return directory


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON instead of a table.")
def stats(directory: Path, as_json: bool) -> None:
    """Counts of DIRECTORY by split, task, difficulty and feature; lengths; rejects; engine agreement."""
    import json

    from .report import dataset_stats, stats_table

    try:
        numbers = dataset_stats(_dataset_dir(directory))
    except (ValueError, OSError) as exc:
        raise _fail(f"cannot read {directory}: {exc}") from None
    click.echo(json.dumps(numbers, indent=2) if as_json else stats_table(numbers))


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False), required=True,
              help="The HTML file to write (one self-contained page, no network needed; written atomically)." + _FILE_HELP
                   + ", a path inside DIRECTORY.")
def report(directory: Path, out: str) -> None:
    """Write a self-contained HTML report with charts of DIRECTORY."""
    from ._files import OutputPathError
    from .report import write_report

    _dataset_dir(directory)
    out = _output_file(out, datasets=(directory,))
    try:
        path = write_report(directory, out)
    except OutputPathError as exc:
        raise _usage(str(exc)) from None
    except (ValueError, OSError) as exc:
        raise _fail(f"cannot write the report to {out}: {getattr(exc, 'strerror', None) or exc}") from None
    click.echo(f"report written to {path}")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--format", "fmt", required=True,
              help="chat, prompt-completion, inspect, lm-eval or humaneval (see the README's Exports).")
@click.option("-o", "--out", "out", type=click.Path(file_okay=False), required=True,
              help="Output directory (created; must be new or empty unless --overwrite). Not inside DIRECTORY.")
@click.option("--overwrite", is_flag=True,
              help="Replace the export already in OUT (its files this export does not write are removed; "
                   "other files stay). A non-empty OUT that holds no export is refused.")
def export(directory: Path, fmt: str, out: str, overwrite: bool) -> None:
    """Write DIRECTORY's splits in a format training and evaluation tools read."""
    from ._files import OutputPathError
    from .export.exporter import export_dataset
    from .export.formats import get_format

    try:
        get_format(fmt)
    except ConfigError as exc:
        raise _usage(str(exc)) from None
    _dataset_dir(directory)
    out = _output_dir(out, datasets=(directory,))
    try:
        summary = export_dataset(directory, fmt, out, overwrite=overwrite)
    except OutputPathError as exc:
        raise _usage(str(exc)) from None
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    click.echo(summary.text())


@main.command()
@click.argument("directory", type=click.Path(path_type=Path), required=False)
@click.option("--predictions", "predictions", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help='JSONL: {"id": ..., "prediction": "..."} or {"id": ..., "predictions": [...]} per line '
                   "(for --benchmark: that benchmark's own predictions file).")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write report.json here (written atomically; checked before scoring)." + _FILE_HELP
                   + ", a path inside DIRECTORY, the --predictions or --data file.")
@click.option("--k", "k", default=None,
              help="pass@k values to report, positive whole numbers separated by commas [default: 1,5,10; a "
                   "benchmark's own: 1,5 for CRUXEval, 1,10,100 for HumanEval]; the table ranks features by the smallest.")
@click.option("--workers", type=int, default=2, show_default=True,
              help=f"Scoring processes (at most {MAX_WORKERS_PER_CPU} per CPU are started).")
@click.option("--timeout", type=float, default=None,
              help="Seconds one prediction may run, more than 0 and at most 600; one that runs out of time runs "
                   "once more before it fails [default: 2; a benchmark's own: 3].")
@click.option("--split", default=None, help="Score only this split of DIRECTORY [default: all].")
@click.option("--benchmark", type=click.Choice(["cruxeval-output", "cruxeval-input", "humaneval"]), default=None,
              help="Score an existing benchmark instead of a codegen-data dataset (needs --data).")
@click.option("--data", "data", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The benchmark's data file (cruxeval.jsonl, HumanEval.jsonl.gz).")
@click.option("--allow-unknown-ids", is_flag=True,
              help="Ignore (and list) predictions whose id is not in DIRECTORY, instead of refusing the file.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: --workers scoring processes; ray: scoring processes started by Ray tasks. Same report.")
@click.option("--ray-address", default=None, help="Ray cluster to join [default: start a local Ray instance].")
def evaluate(directory: Path | None, predictions: Path, out: str | None, k: str | None, workers: int, timeout: float | None,
             split: str | None, benchmark: str | None, data: Path | None, allow_unknown_ids: bool, engine: str,
             ray_address: str | None) -> None:
    """Score a model's predictions on DIRECTORY (or on --benchmark) by executing them in the sandbox.

    Prints pass@k overall and per task, difficulty and feature; -o writes the full report.json that
    `codegen-data compare` reads.
    """
    from ._files import OutputPathError
    from .evaluate import evaluate_command, parse_ks, summary_table

    workers = _workers(workers)
    if ray_address is not None and engine != "ray":
        raise _usage("--ray-address needs --engine ray")
    try:
        ks = parse_ks(k) if k is not None else None
    except ConfigError as exc:
        raise _usage(str(exc)) from None
    if timeout is not None and not 0 < timeout <= 600:  # NaN fails this too
        raise _usage(f"--timeout must be more than 0 and at most 600 seconds, got {timeout}")
    if benchmark is not None:
        if data is None:
            raise _usage("--benchmark needs --data (the benchmark's data file)")
        if directory is not None:
            raise _usage("give either a dataset DIRECTORY or --benchmark, not both")
        if engine != "local":
            raise _usage("--engine ray scores codegen-data datasets; --benchmark runs locally")
        out = _output_file(out, inputs=(predictions, data))
    else:
        if directory is None:
            raise _usage("missing the dataset DIRECTORY (or use --benchmark)")
        if not (directory / "manifest.json").is_file():
            raise _usage(_not_a_dataset(directory))
        if split is not None:
            from .audit import split_files

            names = [name for name, _ in split_files(directory)]
            if split not in names:
                raise _usage(f"{directory} has no split {split!r} (splits: {', '.join(names) or 'none'})")
        out = _output_file(out, inputs=(predictions,), datasets=(directory,))
    try:
        if benchmark is not None:
            from .benchmarks import benchmark_report

            report = benchmark_report(benchmark, data, predictions, workers=workers, out=out, ks=ks, timeout=timeout)
            code, text = 0, summary_table(report) + (f"\nreport written to {out}" if out else "")
        else:
            code, text = evaluate_command(directory, predictions, out=out, k=k if k is not None else "1,5,10",
                                          workers=workers, timeout=timeout if timeout is not None else 2.0, split=split,
                                          allow_unknown_ids=allow_unknown_ids, engine=engine, ray_address=ray_address)
    except OutputPathError as exc:
        raise _usage(str(exc)) from None
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    click.echo(_shown(text))
    sys.exit(code)


@main.command()
@click.argument("base", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--max-drop", type=float, default=0.01, show_default=True,
              help="Largest allowed drop of pass@1, overall or for any task (a fraction).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "junit"]), default="text", show_default=True,
              help="text for a terminal, markdown for a pull-request comment, junit for a CI test report.")
def compare(base: Path, new: Path, max_drop: float, fmt: str) -> None:
    """Compare two report.json files of the same dataset; exit 1 on a regression (the CI gate).

    Lists the items that flipped, the features where a drop concentrates, and whether the drop is
    larger than chance (an exact paired test over items). Exit 2 when the reports cannot be compared.
    """
    from .compare import compare_command

    code, text = compare_command(base, new, max_drop=max_drop, fmt=fmt)
    click.echo(_shown(text), err=code == 2)
    sys.exit(code)


@main.command()
@click.option("--quick", is_flag=True, help="Small sizes (about a minute and a half here) instead of the full run.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the numbers as JSON to this file (checked before the run, written atomically)." + _FILE_HELP + ".")
@click.option("--structures", "structures", default=None, metavar="TASK:N",
              help="Instead of the benchmark: count the distinct structures among TASK's first N candidates "
                   "(generated, not run, on 2 processes), i.e. how many candidates a run of a given size draws.")
def bench(quick: bool, json_path: str | None, structures: str | None) -> None:
    """Measure throughput (SQL, programs, CRUXEval-style checks), peak memory and scaling on this machine.

    Each row puts our number beside its floor or baseline measured in the same run (DuckDB alone; one
    python3 -I subprocess per program or check), so ratios, not absolute speeds, carry across machines.
    In the full run each generation rate is the median of three runs taken in turns (1 worker, 2
    workers, 1, 2, ...), as the machine's speed may change from one moment to the next. The table ends
    with the project's targets for a 2-core machine, each marked met or MISSED.
    """
    import json

    from ._files import output_file, write_atomic
    from .bench import bench_table, run_bench, structure_yield, structures_table

    json_path = _output_file(json_path)
    if structures is not None:
        task, sep, count = structures.rpartition(":")
        if not sep or not task or not count.isdigit() or int(count) < 1:
            raise _usage(f"--structures takes TASK:N with N a positive whole number, got {structures!r}")
        if quick:
            raise _usage("--structures and --quick are two different measurements; give one")
        try:
            results = structure_yield(task, int(count))
        except (ConfigError, ValueError) as exc:
            raise _usage(str(exc)) from None
        click.echo(structures_table(results))
    else:
        results = run_bench(quick=quick)
        click.echo(bench_table(results))
    if json_path is not None:
        try:
            target = output_file(json_path)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, (json.dumps(results, indent=2) + "\n").encode("utf-8"))
        except (ConfigError, OSError) as exc:
            raise _fail(f"cannot write {json_path}: {getattr(exc, 'strerror', None) or exc}") from None
