"""How the Comparison section writes each kind of figure: one function per kind."""

MIB = 2**20


# region: formats
def number(value: float) -> str:
    """Three significant figures at most, never in exponent form."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(value: float) -> str:
    return f"{number(value)}×"


def percent(value: float) -> str:
    return f"{100 * value:.0f} %"


def mib(value: float) -> str:
    return f"{number(value / MIB)} MiB"


def megabytes(value: float) -> str:
    return f"{number(value / 1e6)} MB"


def seconds(value: float) -> str:
    return f"{number(value * 1000)} ms" if value < 1 else f"{number(value)} s"


# endregion: formats
