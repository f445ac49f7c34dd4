"""What if: a desk's traffic run through each policy on the real service layer, before
switching it on (see docs/what-if.md)."""
