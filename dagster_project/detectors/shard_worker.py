"""A detector worker process (see shards.py): reads (job, packed frames, args) on stdin, runs
`job(**frames, *args)` and writes the pickled result on stdout. Anything printed goes to stderr,
so stdout carries the result only; a failure exits non-zero with its traceback on stderr."""

from __future__ import annotations

import pickle
import sys


def main() -> None:
    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    from dagster_project.detectors.shards import unpack

    job, packed, args = pickle.load(sys.stdin.buffer)
    result = job(*args, **{name: unpack(data) for name, data in packed.items()})
    pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


if __name__ == "__main__":
    main()
