"""Writing datasets: the output directory (records, rejects, side files, manifest, card)."""
