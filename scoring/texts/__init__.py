"""Text intelligence (docs/text-intelligence.md): the one reader of customer texts and the one service that stores its
readings.

- reading: the schema every reader returns (Reading, Evidence, Facts, CATEGORIES)
- clean: the one sanitising of a text
- reader: the built-in reader, assembled from intent, category, sentiment, language, entities, summary, signals
- llm: the optional local LLM reader, with the built-in one as its fallback
- service: reading waiting texts and storing every field under one version
- evaluation: measuring a reader on labelled sets (the tuning set and the blind set)
"""
