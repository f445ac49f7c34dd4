"""People: users and their roles (`accounts`), signing in with a session (`signin`), personal
API tokens (`tokens`), and who a request comes from (`access`)."""
