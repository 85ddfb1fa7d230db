"""Which analyser reads customer texts: the built-in one (scoring.analysis), or an Ollama-compatible local
LLM server when ANALYSER_LLM_URL is set, falling back to the built-in analyser item by item."""

from scoring.analysis import Analysis, analyse


def analyse_many(texts: list[str]) -> list[Analysis]:
    """The analysis of each text, in order."""
    return [analyse(text) for text in texts]


def analyse_one(text: str) -> Analysis:
    return analyse_many([text])[0]
