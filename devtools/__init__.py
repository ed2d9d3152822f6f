"""What tests, tools and benchmarks share: the pinned toolchain, real Trino
servers and their data, the Pulumi CLI driver and the VMS stand-in.

Development tooling, never imported by the product (``vastobs``, ``infra``,
``runner``).
"""
