"""Running lantian as operators do: progress lines, exit codes, root causes, process groups,
the state folder and the run history. No Dagster assets here; `build.py` and `cli.py` use it."""
