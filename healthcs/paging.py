"""Lists shown a page at a time with a "show more" (the board's columns, My queue's task lists)."""


class ShowMore:
    """A list shown from `offset` on: what its "show more" says and fetches. A subclass gives `shown` (items
    here), `total` (items in the whole list) and `page_size` (how many one "show more" adds)."""

    offset: int
    page_size: int

    @property
    def shown(self) -> int:
        raise NotImplementedError

    @property
    def total(self) -> int:
        raise NotImplementedError

    @property
    def shown_to(self) -> int:
        """How many of the list's items are shown up to the last one here."""
        return self.offset + self.shown

    @property
    def remaining(self) -> int:
        """Items of the list after the last one shown."""
        return max(0, self.total - self.shown_to)

    @property
    def next_page(self) -> int:
        """How many more its "show more" fetches."""
        return min(self.page_size, self.remaining)
