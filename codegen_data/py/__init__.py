"""Python function tasks: generated functions with English statements, inputs, mutants and metrics.

``generator`` (``generate_program``, ``Program``) draws a function as a chain of ``steps`` over
``elements`` (tests and operations on one value), with ``inputs`` drawn first and ``english`` phrases;
``expr`` builds the source text; ``mutate`` makes single-bug variants; ``analysis`` measures code with
tree-sitter. Weights and constants: ``grammars/python.toml``. Generated code never runs in-process.
"""
