"""Views: offline, self-contained HTML pages of the graph that a person can read.

``export`` holds the registry of views and writes them for a store; ``context`` gathers what
the graph knows once for every page, with ``worlds`` (the months of the date slider and each
distinct world's failure impacts); ``scenes`` picks each view's nodes and edges, ``reduction``
groups what exceeds the node budget, ``layout`` places them, ``items`` styles them in the
format of ``model`` (what view.js reads), ``render`` fills the templates, ``pages`` writes the
pages without a drawing (scenarios, timeline) and ``writing`` puts the pages on disk.
"""
