"""The shared core of vastobs: stack config, errors, units, table DDL and SQL
files, sky indexing, and the storage backends with their factory.

Both edges import it: the Pulumi program (``infra/``) and the analysts' and
operators' CLI (``runner/``). It imports neither of them, nor pulumi.
"""
