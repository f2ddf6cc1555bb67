"""``python -m datapack``: the ``datapack`` command line, for an interpreter without the script on PATH."""

from datapack.cli import main

if __name__ == "__main__":
    main(prog_name="datapack")
