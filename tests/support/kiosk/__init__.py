"""A test's channel that brings everything a channel may bring besides its webhook (a table
and its migration, routes, a console section), registered only by the test that uses it."""
