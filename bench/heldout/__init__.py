"""A held-out healthcare-SaaS customer book, written without sight of the scoring code.

`book.py` writes the book in the product's import format plus a `truth.csv` of what happened to each
account; `bench/backtest.py` scores the book through the product's command line and compares.
"""
