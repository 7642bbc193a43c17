"""What the SQL tasks share: config, database choice, and the generate -> execute -> verify chain."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlglot import exp

from .. import __version__
from .._seeding import stable_hash
from ..grammar import load_grammar
from ..scoring import Verdict
from ..groups import sql_structure_key
from ..task import ConfigError, Reject, Task, TaskConfig
from .comparator import DEFAULT_COMPARATOR, canonical_order
from .domains import domain_names
from .executor import UNOPTIMIZED_MAX_TABLE_ROWS
from .generator import DIFFICULTIES, QueryCandidate, generate_query
from .runtime import DatabaseSpec, SessionCache, build_database, worker_sessions
from .scripts import duckdb_script
from .sqlite_dialect import to_sqlite
from .verify import SqlExecution, run_checks

__all__ = ["SqlConfig", "SqlTask", "SqlCandidate"]


MAX_DATABASES_PER_DOMAIN = 10_000
"""Upper bound of ``databases_per_domain``: the run lists every database of every domain when it writes
the side files (at 10,000, 160,000 of them, under a second); 100,000,000 held gigabytes."""
MAX_MEMORY_LIMIT_MB = 1 << 20
"""Upper bound of ``memory_limit_mb`` (1 TiB): past what DuckDB accepts, every query failed."""
MAX_RESULT_ROWS = 100_000
"""Upper bound of ``max_result_rows``: SQLite's cross-check fetches up to this many rows at once (past
2**31 it refused every query, and the records lost their second engine)."""


@dataclass
class SqlConfig(TaskConfig):
    """Options shared by the SQL tasks (set them in a ``--config`` TOML table named after the task)."""

    domains: list[str] = field(default_factory=list)  # empty: every domain
    databases_per_domain: int = 4  # distinct databases drawn per domain (1 to 10000); each serves many queries
    min_rows: int = 20  # rows per table, at least
    max_rows: int = 60  # rows per table, at most (above UNOPTIMIZED_MAX_TABLE_ROWS, DuckDB plans with its optimizer)
    null_rate: float = 0.1  # share of NULLs in nullable columns
    query_timeout: float = 2.0  # seconds a statement may run before it is interrupted
    memory_limit_mb: int = 256  # DuckDB memory limit of a worker's sandboxed connection (all its databases; 16 to 1048576)
    max_result_rows: int = 1000  # larger results are rejected (1 to 100000)
    allow_all_null: bool = False  # keep queries whose result is all NULL

    def validate(self) -> None:
        super().validate()
        known = domain_names()
        for d in self.domains:
            if d not in known:
                raise ConfigError(f"domains: unknown domain {d!r} (known: {', '.join(known)})")
        if not 1 <= self.databases_per_domain <= MAX_DATABASES_PER_DOMAIN:
            raise ConfigError(f"databases_per_domain must be between 1 and {MAX_DATABASES_PER_DOMAIN}, got {self.databases_per_domain}")
        if self.min_rows < 1:
            raise ConfigError(f"min_rows must be >= 1, got {self.min_rows}")
        if self.max_rows < self.min_rows:
            raise ConfigError(f"max_rows ({self.max_rows}) must be >= min_rows ({self.min_rows})")
        if self.max_rows > 100_000:
            raise ConfigError(f"max_rows must be <= 100000, got {self.max_rows}")
        if not 0.0 <= self.null_rate <= 0.9:
            raise ConfigError(f"null_rate must be between 0 and 0.9, got {self.null_rate}")
        if not 0 < self.query_timeout <= 600:
            raise ConfigError(f"query_timeout must be in (0, 600] seconds, got {self.query_timeout}")
        if not 16 <= self.memory_limit_mb <= MAX_MEMORY_LIMIT_MB:
            raise ConfigError(f"memory_limit_mb must be between 16 and {MAX_MEMORY_LIMIT_MB}, got {self.memory_limit_mb}")
        if not 1 <= self.max_result_rows <= MAX_RESULT_ROWS:
            raise ConfigError(f"max_result_rows must be between 1 and {MAX_RESULT_ROWS}, got {self.max_result_rows}")


@dataclass
class SqlCandidate:
    spec: DatabaseSpec
    query: QueryCandidate
    target: str

    @functools.cached_property
    def group(self) -> str:
        """Its record's ``group``, the query's structure key (:func:`~codegen_data.groups.sql_structure_key`),
        computed once: before anything runs (:meth:`SqlTask.group_of`) and for the record."""
        q = self.query
        # With rendered_again set, q.tree is parse(q.sql) (the SQL was built as rendered): no second parse.
        return sql_structure_key(q.sql, q.tree if q.rendered_again is not None else None)

    @functools.cached_property
    def tables(self) -> frozenset[str]:
        """Every table name the query reads (CTE names too: they match no table of the database)."""
        return frozenset(t.name for t in self.query.tree.find_all(exp.Table))

    @functools.cached_property
    def sqlite_sql(self) -> str:
        """The query as SQLite runs it (:func:`~codegen_data.sql.sqlite_dialect.to_sqlite`), built once."""
        return to_sqlite(self.query.tree, copy=False)  # a generated query: rendering leaves it as it is


class SqlTask(Task):
    """Base of the SQL tasks: subclasses add their checks (``extra_verify``) and their record fields."""

    config_class: ClassVar[type[TaskConfig]] = SqlConfig
    grammars: ClassVar[tuple[str, ...]] = ("sql", "sql_domains")
    levels: ClassVar[tuple[str, ...]] = DIFFICULTIES
    labels_text = (
        "SQL references were executed in a sandboxed DuckDB (external access, extension loading and "
        "configuration changes disabled) on synthesized databases whose every value is invented (no real "
        "personal data), and cross-checked in SQLite through sqlglot's transpilation."
    )
    verification_text = (
        "SQL items executed without error within the time limit; are neither empty nor all NULL; have no "
        "tie at an ORDER BY/LIMIT cut (nor between different rows when order matters); give the same result "
        "on a copy of the database with rows in another order; need every WHERE/HAVING condition (removing "
        "one changes the result); survive a sqlglot parse/render round trip; and were run in SQLite, "
        "`verified_engines` listing the engines that agree."
    )

    config: SqlConfig

    def __init__(self, config: TaskConfig, *, seed: int, difficulty: str = "mixed"):
        super().__init__(config, seed=seed, difficulty=difficulty)
        if difficulty != "mixed" and difficulty not in self.levels:
            raise ConfigError(f"{self.name} has no difficulty {difficulty!r} (levels: {', '.join(self.levels)})")
        self.grammar = load_grammar("sql")
        self._sessions: SessionCache | None = None

    # generate ---------------------------------------------------------------------------------
    def database_spec(self, rng) -> DatabaseSpec:
        domains = self.config.domains or domain_names()
        return DatabaseSpec(
            domain=rng.choice(domains),
            instance=rng.randrange(self.config.databases_per_domain),
            seed=self.seed,
            min_rows=self.config.min_rows,
            max_rows=self.config.max_rows,
            null_rate=self.config.null_rate,
        )

    def locality(self, index: int) -> int:
        """The number of the database item ``index`` runs on (its domain's position, then its
        instance): databases are split evenly between workers, and each loads only its own."""
        spec = self.database_spec(self.rng(index))  # generate's first draws
        domains = self.config.domains or domain_names()
        return domains.index(spec.domain) * self.config.databases_per_domain + spec.instance

    def generate(self, index: int) -> SqlCandidate | Reject:
        rng = self.rng(index)
        target = self.target_difficulty(index, self.levels)
        spec = self.database_spec(rng)
        query = generate_query(rng, build_database(spec), difficulty=target, grammar=self.grammar)
        candidate = SqlCandidate(spec, query, target)
        if query.difficulty != target:
            return Reject("difficulty_mismatch", f"asked {target}, built {query.difficulty}", self.describe(candidate))
        return candidate

    def describe(self, candidate: SqlCandidate) -> dict[str, Any]:
        q = candidate.query
        return {"db_id": candidate.spec.db_id, "sql": q.sql, "question": q.question, "difficulty": q.difficulty}

    def group_of(self, candidate: SqlCandidate) -> str:
        """Known before the query runs: a candidate of a structure the run kept is not executed."""
        return candidate.group

    # execute ----------------------------------------------------------------------------------
    @property
    def sessions(self) -> SessionCache:
        # Opened lazily, so only worker processes ever hold a DuckDB connection. DuckDB's optimizer
        # is off over small tables, where it costs more than it saves (UNOPTIMIZED_MAX_TABLE_ROWS).
        if self._sessions is None:
            self._sessions = worker_sessions(
                timeout=self.config.query_timeout,
                memory_limit_mb=self.config.memory_limit_mb,
                max_rows=self.config.max_result_rows,
                optimizer=self.config.max_rows > UNOPTIMIZED_MAX_TABLE_ROWS,
            )
        return self._sessions

    def execute(self, candidate: SqlCandidate) -> SqlExecution:
        sessions = self.sessions.get(candidate.spec)
        sessions.load(candidate.tables)
        gold = sessions.duckdb.run(candidate.query.sql)
        if gold.ok and not candidate.query.order_matters:
            gold.rows = canonical_order(gold.rows)  # recorded in one order, whatever the engine returned
        return SqlExecution(gold=gold, sessions=sessions, allow_all_null=self.config.allow_all_null)

    # verify -----------------------------------------------------------------------------------
    def verify(self, candidate: SqlCandidate, execution: SqlExecution) -> Reject | None:
        return run_checks(candidate.query, execution) or self.extra_verify(candidate, execution)

    def extra_verify(self, candidate: SqlCandidate, execution: SqlExecution) -> Reject | None:
        """Task-specific checks after the shared ones; also where the second engine runs."""
        return None

    # score ------------------------------------------------------------------------------------
    score_engine: ClassVar[str] = "duckdb"  # where a predicted query runs

    @classmethod
    def score(cls, record: dict[str, Any], answer: str, scorer: Any) -> Verdict:
        """Execution accuracy: the predicted query's result equals the gold result (the comparator)."""
        result = scorer.sql.run(record["meta"]["database"], answer, engine=cls.score_engine)
        if result.status == "timeout":
            return Verdict.fail("timeout", result.error or "")
        if not result.ok:
            kind = "syntax_error" if "Parser Error" in (result.error or "") or "syntax error" in (result.error or "") else "execution_error"
            return Verdict.fail(kind, result.error or result.status)
        diff = DEFAULT_COMPARATOR.results_difference(record["result"], result.as_result(), order_matters=record["order_matters"])
        return Verdict.ok() if diff is None else Verdict.fail("wrong_answer", diff)

    # export -----------------------------------------------------------------------------------
    def base_record(self, index: int, candidate: SqlCandidate, execution: SqlExecution, *, prompt: str, answer: str,
                    engines: list[str], extra: dict[str, Any] | None = None) -> dict[str, Any]:
        q = candidate.query
        identity = json.dumps([self.name, candidate.spec.db_id, prompt, answer], ensure_ascii=False)
        record: dict[str, Any] = {
            "id": f"{self.name}-{stable_hash(identity, 16)}",
            "task": self.name,
            "prompt": prompt,
            "answer": answer,
            "difficulty": q.difficulty,
            "features": list(q.features),
            "db_id": candidate.spec.db_id,
            "sql": q.sql,
            "result": execution.gold.as_result(),
            "order_matters": q.order_matters,
            "verified_engines": engines,
        }
        record.update(extra or {})
        record["group"] = candidate.group
        spec = candidate.spec
        record["meta"] = {
            "seed": self.seed,
            "index": index,
            "version": __version__,
            "grammar_hash": self.grammar_hash(),
            "domain": spec.domain,
            "database": {"domain": spec.domain, "instance": spec.instance, "seed": spec.seed,
                         "min_rows": spec.min_rows, "max_rows": spec.max_rows, "null_rate": spec.null_rate},
        }
        return record

    def side_files(self, db_ids: list[str]) -> dict[str, str]:
        """``databases/<db_id>.sql`` for every database a kept record uses."""
        specs: dict[str, DatabaseSpec] = {}
        domains = self.config.domains or domain_names()
        for domain in domains:
            for k in range(self.config.databases_per_domain):
                spec = DatabaseSpec(domain, k, self.seed, self.config.min_rows, self.config.max_rows, self.config.null_rate)
                specs[spec.db_id] = spec
        return {f"databases/{db_id}.sql": duckdb_script(build_database(specs[db_id])) for db_id in sorted(db_ids)}
