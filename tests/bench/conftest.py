import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bench: runs the benchmark harness at a tiny scale in a subprocess (~20 s)"
    )
