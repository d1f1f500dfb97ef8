"""`python -m rlsiron` runs the CLI."""

from rlsiron.cli import main

main()
