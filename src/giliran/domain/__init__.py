"""The rules of assignment. Standard library only: no I/O, no framework, `now` is an argument."""
