"""One file per task; each exposes ``TASK``. :mod:`codegen_data.registry` discovers them."""
