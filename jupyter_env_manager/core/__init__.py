"""The environment core shared by the CLI, the server extension and the tests."""
