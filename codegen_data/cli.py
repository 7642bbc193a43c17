"""The ``codegen-data`` command line."""

from __future__ import annotations

import json
import os
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
            return tomllib.load(f)
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
@click.option("-o", "--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output directory (created; must be empty or new unless --overwrite or --resume).")
@click.option("--difficulty", type=click.Choice(DIFFICULTY_CHOICES), default="mixed", show_default=True,
              help="Difficulty level of every item, or an even mix.")
@click.option("--workers", type=int, default=None, help="Worker processes [default: number of CPUs].")
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
def generate(tasks: str, n: int, seed: int, out: Path, difficulty: str, workers: int | None, config_path: str | None,
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
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise _usage(f"--workers must be at least 1, got {workers}")
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
@click.option("--workers", type=int, default=2, show_default=True, help="Worker processes re-executing records.")
def verify(directory: Path, workers: int) -> None:
    """Check DIRECTORY's file hashes and re-execute every record's reference from its files alone.

    Exits 1, naming the records, if any label no longer reproduces.
    """
    from .audit import verify_dataset

    if not (directory / "manifest.json").is_file():
        raise _usage(f"{directory} is not a codegen-data dataset (no manifest.json)")
    if workers < 1:
        raise _usage(f"--workers must be at least 1, got {workers}")
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


def _dataset_dir(directory: Path) -> Path:
    """DIRECTORY when it holds an intact dataset; else a one-line error."""
    from .audit import require_intact

    if not (directory / "manifest.json").is_file():
        raise _usage(f"{directory} is not a codegen-data dataset (no manifest.json)")
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
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write (one self-contained page, no network needed).")
def report(directory: Path, out: Path) -> None:
    """Write a self-contained HTML report with charts of DIRECTORY."""
    from .report import write_report

    try:
        path = write_report(_dataset_dir(directory), out)
    except (ValueError, OSError) as exc:
        raise _fail(f"cannot write the report to {out}: {getattr(exc, 'strerror', None) or exc}") from None
    click.echo(f"report written to {path}")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--format", "fmt", required=True,
              help="chat, prompt-completion, inspect, lm-eval or humaneval (see the README's Exports).")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), required=True, help="Output directory.")
def export(directory: Path, fmt: str, out: Path) -> None:
    """Write DIRECTORY's splits in a format training and evaluation tools read."""
    from .export.exporter import export_dataset

    _dataset_dir(directory)
    try:
        summary = export_dataset(directory, fmt, out)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    click.echo(summary.text())


@main.command()
@click.argument("directory", type=click.Path(path_type=Path), required=False)
@click.option("--predictions", "predictions", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help='JSONL: {"id": ..., "prediction": "..."} or {"id": ..., "predictions": [...]} per line '
                   "(for --benchmark: that benchmark's own predictions file).")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write report.json here (written atomically).")
@click.option("--k", "k", default=None,
              help="pass@k values to report [default: 1,5,10; a benchmark's own: 1,5 for CRUXEval, 1,10,100 for HumanEval].")
@click.option("--workers", type=int, default=2, show_default=True, help="Scoring processes.")
@click.option("--timeout", type=float, default=None,
              help="Seconds one prediction may run; one that runs out of time runs once more before it "
                   "fails [default: 2; a benchmark's own: 3].")
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
def evaluate(directory: Path | None, predictions: Path, out: Path | None, k: str | None, workers: int, timeout: float | None,
             split: str | None, benchmark: str | None, data: Path | None, allow_unknown_ids: bool, engine: str,
             ray_address: str | None) -> None:
    """Score a model's predictions on DIRECTORY (or on --benchmark) by executing them in the sandbox.

    Prints pass@k overall and per task, difficulty and feature; -o writes the full report.json that
    `codegen-data compare` reads.
    """
    from .evaluate import evaluate_command, parse_ks, summary_table

    if workers < 1:
        raise _usage(f"--workers must be at least 1, got {workers}")
    if ray_address is not None and engine != "ray":
        raise _usage("--ray-address needs --engine ray")
    try:
        if benchmark is not None:
            from .benchmarks import benchmark_report

            if data is None:
                raise _usage("--benchmark needs --data (the benchmark's data file)")
            if directory is not None:
                raise _usage("give either a dataset DIRECTORY or --benchmark, not both")
            if engine != "local":
                raise _usage("--engine ray scores codegen-data datasets; --benchmark runs locally")
            report = benchmark_report(benchmark, data, predictions, workers=workers, out=out,
                                      ks=parse_ks(k) if k else None, timeout=timeout)
            code, text = 0, summary_table(report) + (f"\nreport written to {out}" if out else "")
        else:
            if directory is None:
                raise _usage("missing the dataset DIRECTORY (or use --benchmark)")
            code, text = evaluate_command(directory, predictions, out=out, k=k or "1,5,10", workers=workers,
                                          timeout=timeout or 2.0, split=split, allow_unknown_ids=allow_unknown_ids,
                                          engine=engine, ray_address=ray_address)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    click.echo(text)
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
    click.echo(text, err=code == 2)
    sys.exit(code)


@main.command()
@click.option("--quick", is_flag=True, help="Small sizes (about a minute and a half here) instead of the full run.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the numbers as JSON to this file.")
@click.option("--structures", "structures", default=None, metavar="TASK:N",
              help="Instead of the benchmark: count the distinct structures among TASK's first N candidates "
                   "(generated, not run, on 2 processes), i.e. how many candidates a run of a given size draws.")
def bench(quick: bool, json_path: Path | None, structures: str | None) -> None:
    """Measure throughput (SQL, programs, CRUXEval-style checks), peak memory and scaling on this machine.

    Each row puts our number beside its floor or baseline measured in the same run (DuckDB alone; one
    python3 -I subprocess per program or check), so ratios, not absolute speeds, carry across machines.
    In the full run each generation rate is the median of three runs taken in turns (1 worker, 2
    workers, 1, 2, ...), as the machine's speed may change from one moment to the next. The table ends
    with the project's targets for a 2-core machine, each marked met or MISSED.
    """
    import json

    from .bench import bench_table, run_bench, structure_yield, structures_table

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
            json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {json_path}: {exc.strerror or exc}") from None
