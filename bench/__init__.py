"""livecart benchmarks: `python -m bench all --quick`, or one area: `python -m bench video|chat|checkout`."""
