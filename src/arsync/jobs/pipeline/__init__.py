"""The pipeline behind `arsync nightly` and on-demand runs: the seam that opens a run's
sources, the stages, the run store."""
